// Types for the Ringproof widget: the <ringproof-verify> element, its events and
// `window.ringproof`. Served at /v1/ringproof.d.ts; copy it into your project (for example
// `src/types/ringproof.d.ts`) to type the element in TypeScript, React and Vue.

export type RingproofChannel = 'missed_call' | 'flash_call' | 'sms' | 'voice_call';
export type RingproofTheme = 'auto' | 'light' | 'dark';
export type RingproofSize = 'normal' | 'compact' | 'flexible';
export type RingproofState =
  | 'idle' | 'loading' | 'ready' | 'pending' | 'verified' | 'failed' | 'expired' | 'error';

/** The element's attributes, as HTML sets them. */
export interface RingproofAttributes {
  'site-key': string;
  /** A BCP 47 tag; else the page's `lang`, else the browser's languages. */
  lang?: string;
  theme?: RingproofTheme;
  size?: RingproofSize;
  /** The form field the token goes with; `ringproof-response` by default. */
  'response-field-name'?: string;
  /** `"false"`: the token does not go with the form. */
  'response-field'?: 'true' | 'false';
  /** The channel to start with, among the site's. */
  channel?: RingproofChannel;
  /** ISO 3166-1 alpha-2: the country chosen in the picker. */
  country?: string;
  /** A number to fill in; the visitor can change it. */
  phone?: string;
  /** Echoed by siteverify: 1–32 of A-Z a-z 0-9 _ -. */
  action?: string;
  /** Echoed by siteverify: 1–255 of A-Z a-z 0-9 _ -. */
  cdata?: string;
  /** Your server's id for this verification, with its signature (see the README). */
  'client-transaction-id'?: string;
  'client-transaction-signature'?: string;
  /** The edge's origin, where the loader cannot tell it (no `document.currentScript`). */
  edge?: string;
  required?: boolean | '';
  name?: string;
  /** Names of global functions called as the events below happen. */
  'data-callback'?: string;
  'data-verified-callback'?: string;
  'data-ready-callback'?: string;
  'data-pending-callback'?: string;
  'data-failed-callback'?: string;
  'data-expired-callback'?: string;
  'data-error-callback'?: string;
}

export interface RingproofVerifiedDetail {
  token: string;
  verification_id: string;
  /** RFC 3339: when the token stops being accepted. */
  expires_at?: string;
}
export interface RingproofPendingDetail { verification_id: string; }
/** `code` is a stable code: an API error, a failure reason, or `expired`. */
export interface RingproofFailedDetail { code: string; verification_id?: string; }
/** `code` is `load` (the widget could not load) or `network`. */
export interface RingproofErrorDetail { code: 'load' | 'network' | string; }

/** Events the element fires; all bubble and cross shadow roots (`composed`). */
export interface RingproofEventMap {
  'ringproof-ready': CustomEvent<Record<string, never>>;
  'ringproof-pending': CustomEvent<RingproofPendingDetail>;
  'ringproof-verified': CustomEvent<RingproofVerifiedDetail>;
  'ringproof-failed': CustomEvent<RingproofFailedDetail>;
  'ringproof-expired': CustomEvent<Record<string, never>>;
  'ringproof-error': CustomEvent<RingproofErrorDetail>;
}

/** What `render` takes: the attributes by name (Turnstile's `sitekey` too), and callbacks. */
export interface RingproofRenderOptions {
  sitekey?: string;
  siteKey?: string;
  lang?: string;
  theme?: RingproofTheme;
  size?: RingproofSize;
  responseFieldName?: string;
  responseField?: boolean;
  channel?: RingproofChannel;
  country?: string;
  phone?: string;
  action?: string;
  cdata?: string;
  clientTransactionId?: string;
  clientTransactionSignature?: string;
  edge?: string;
  required?: boolean;
  name?: string;
  callback?: (token: string, detail: RingproofVerifiedDetail) => void;
  'ready-callback'?: () => void;
  'pending-callback'?: (detail: RingproofPendingDetail) => void;
  'failed-callback'?: (code: string, detail: RingproofFailedDetail) => void;
  'expired-callback'?: () => void;
  'error-callback'?: (code: string, detail: RingproofErrorDetail) => void;
  readyCallback?: () => void;
  pendingCallback?: (detail: RingproofPendingDetail) => void;
  failedCallback?: (code: string, detail: RingproofFailedDetail) => void;
  expiredCallback?: () => void;
  errorCallback?: (code: string, detail: RingproofErrorDetail) => void;
}

/** `<ringproof-verify>`: a form-associated element (it works with `<form>` as an input does). */
export interface RingproofVerifyElement extends HTMLElement {
  /** The token, or `''`. */
  readonly value: string;
  readonly name: string;
  readonly form: HTMLFormElement | null;
  readonly validity: ValidityState | null;
  readonly validationMessage: string;
  readonly willValidate: boolean;
  checkValidity(): boolean;
  reportValidity(): boolean;
  getResponse(): string | undefined;
  isExpired(): boolean;
  reset(): void;
  remove(): void;
  render(options: RingproofRenderOptions): RingproofVerifyElement;
  addEventListener<K extends keyof RingproofEventMap>(
    type: K,
    listener: (this: RingproofVerifyElement, ev: RingproofEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

/** A widget: the element, a selector, or a container holding one; the page's first if none. */
export type RingproofTarget = RingproofVerifyElement | HTMLElement | string | undefined;

export interface RingproofApi {
  /** Into a container, a new element; on a `<ringproof-verify>`, that one. */
  render(target: HTMLElement | string, options: RingproofRenderOptions): RingproofVerifyElement;
  reset(target?: RingproofTarget): void;
  remove(target?: RingproofTarget): void;
  getResponse(target?: RingproofTarget): string | undefined;
  isExpired(target?: RingproofTarget): boolean;
}

declare global {
  interface Window {
    ringproof: RingproofApi;
  }
  interface HTMLElementTagNameMap {
    'ringproof-verify': RingproofVerifyElement;
  }
  interface DocumentEventMap extends RingproofEventMap {}
  interface HTMLElementEventMap extends RingproofEventMap {}
}
