// The least a status read can be: the Worker hands the request to one Durable Object, which
// answers a view of about the same size as the edge's from memory.
export class One {
  constructor(state) {
    this.state = state;
    this.view = null;
  }

  async fetch() {
    if (this.view === null) {
      this.view = JSON.stringify({
        verification_id: "0123456789abcdef0123456789abcdef",
        status: "pending",
        channel: "missed_call",
        expires_at: "2026-12-07T10:00:00Z",
        other_channels: ["sms", "voice_call"],
        number_image_url: "http://127.0.0.1/v1/verifications/0123456789abcdef/number.png?sig=0123456789abcdef0123456789abcdef",
        call_to_uri: "tel:+447400123456",
        checks_left: null,
        resend_at: "2026-12-07T09:59:30Z",
        test: false,
      });
    }
    return new Response(this.view, { headers: { "content-type": "application/json" } });
  }
}

export default {
  async fetch(request, env) {
    return env.ONE.get(env.ONE.idFromName("one")).fetch(request);
  },
};
