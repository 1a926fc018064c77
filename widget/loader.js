// Ringproof loader, served at /v1/widget.js. A page embeds it with one classic script tag:
// it defines <ringproof-verify>, and each element loads the widget (an ES module and its wasm,
// fetched from beside this script) into an open shadow root of its own.
(function () {
  'use strict';
  if (!window.customElements || customElements.get('ringproof-verify')) return;
  var script = document.currentScript;
  // The widget finds its edge from its own URL, so it works embedded in any origin's page.
  var base = new URL('.', script && script.src ? script.src : location.href);
  var apiBase = base.origin;
  var loading = null;

  function load() {
    if (!loading) {
      var module = new URL('widget/ringproof-widget.js', base).href;
      var wasm = new URL('widget/ringproof-widget_bg.wasm', base).href;
      loading = import(module).then(function (m) {
        return m.default({ module_or_path: wasm }).then(function () { return m; });
      });
    }
    return loading;
  }

  class RingproofVerify extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      var shadow = this.attachShadow({ mode: 'open' });
      var host = this;
      shadow.textContent = 'Loading phone verification…';
      load().then(function (m) {
        shadow.textContent = '';
        m.mount(shadow, host, apiBase);
      }, function (err) {
        shadow.textContent = 'Phone verification could not load. Please reload the page.';
        console.error('ringproof:', err);
      });
    }
  }
  customElements.define('ringproof-verify', RingproofVerify);
})();
