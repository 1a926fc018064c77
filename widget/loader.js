// Ringproof loader, served at /v1/widget.js. A page embeds it with one classic script tag:
// it defines <ringproof-verify>, a form-associated element, and `window.ringproof`
// (Turnstile's API: render, reset, remove, getResponse, isExpired). Each element loads the
// widget (an ES module and its wasm, from beside this script or from its `edge` attribute)
// into an open shadow root of its own, with the catalog of the visitor's language.
(function () {
  'use strict';
  if (!window.customElements || customElements.get('ringproof-verify')) return;
  var script = document.currentScript;
  // The widget finds its edge from its own URL, so it works embedded in any origin's page;
  // where there is no current script (a bundler, a module), the element's `edge` says.
  var scriptUrl = script && script.src ? new URL(script.src) : null;
  var params = scriptUrl ? scriptUrl.searchParams : new URLSearchParams();
  var explicit = params.get('render') === 'explicit';
  var FIELD = 'ringproof-response';
  // Written in by `cargo xtask build`: the release whose files this loader takes, and what
  // they must hash to. The files of a release never change, so they are cached for a year.
  var RELEASE = '__RINGPROOF_RELEASE__';
  var INTEGRITY = { module: '__RINGPROOF_MODULE_INTEGRITY__', wasm: '__RINGPROOF_WASM_INTEGRITY__' };
  var built = RELEASE.indexOf('__') !== 0;
  var catalogs = {};
  var modules = {};
  // What the element says before its catalog has arrived; the rest is in the catalog.
  var WORDS = {
    'en': "Loading phone verification…",
    'hi': "फ़ोन सत्यापन लोड हो रहा है…",
    'ru': "Загрузка подтверждения по телефону…",
    'sk': "Načítava sa overenie telefónom…",
    'es': "Cargando la verificación telefónica…",
    'pt': "Carregando a verificação por telefone…",
    'fr': "Chargement de la vérification par téléphone…",
    'de': "Telefonbestätigung wird geladen…",
    'ar': "جارٍ تحميل التحقق عبر الهاتف…",
    'he': "אימות הטלפון נטען…",
    'zh-CN': "正在加载手机验证…",
    'ja': "電話番号認証を読み込んでいます…"
  };
  // The phone field's label until the widget is there (each catalog's `phone.label`; the
  // catalogs' test holds them equal): the visitor can type their number at once.
  var LABELS = {
    'en': "Your mobile number",
    'hi': "आपका मोबाइल नंबर",
    'ru': "Номер Вашего мобильного телефона",
    'sk': "Vaše mobilné číslo",
    'es': "Su número de móvil",
    'pt': "Seu número de celular",
    'fr': "Votre numéro de mobile",
    'de': "Ihre Mobilnummer",
    'ar': "رقم هاتفك المحمول",
    'he': "מספר הנייד שלך",
    'zh-CN': "您的手机号码",
    'ja': "携帯電話番号"
  };
  // The space the phone form takes, kept while it loads so the page does not jump. A
  // constructed sheet, like the widget's: a strict CSP needs no 'unsafe-inline'.
  var LOADING_CSS = ':host{display:block;max-width:22rem;min-height:8.5rem;color:inherit}' +
    ':host([size=flexible]){max-width:none}:host([size=compact]){max-width:16rem}' +
    '.loading{padding:12px 14px;border:1px dashed #8888;border-radius:8px;min-height:6.5rem}' +
    '.loading label{display:block;margin-bottom:4px}.loading p{margin:8px 0 0}' +
    '.loading input{width:100%;box-sizing:border-box;font:inherit;font-size:16px;padding:6px 8px;' +
    'border:1px solid #767676;border-radius:4px;background:transparent;color:inherit}';
  var loadingSheet = null;

  // The first of `tags` we have a catalog for: exact, then by language (pt-BR is pt); any
  // Chinese but the traditional script is zh-CN; iw is Hebrew's old code. The same rule as
  // `ringproof_core::texts::Language::from_tag`, which the edge applies to the SMS.
  function pick(tags) {
    for (var i = 0; i < tags.length; i++) {
      if (!tags[i]) continue;
      var tag = String(tags[i]).toLowerCase().replace(/_/g, '-');
      var lang = tag.split('-')[0];
      if (lang === 'zh') {
        if (/-(hant|tw|hk|mo)(-|$)/.test(tag)) continue;
        return 'zh-CN';
      }
      if (lang === 'iw') lang = 'he';
      if (WORDS[lang]) return lang;
    }
    return 'en';
  }

  // The element's `lang`, else the page's (the nearest `lang` around it), else the browser's.
  function languageOf(el) {
    var page = el.parentElement && el.parentElement.closest('[lang]');
    return pick([el.getAttribute('lang'), page && page.getAttribute('lang')]
      .concat(navigator.languages || [navigator.language]));
  }

  // The element's edge: its `edge` attribute, else where this script came from; and the
  // release's files there.
  function edgeOf(el) {
    return new URL(el.getAttribute('edge') || (scriptUrl || location).href, location.href).origin;
  }
  function filesOf(edge) {
    return new URL(built ? '/v1/releases/' + RELEASE + '/' : '/v1/widget/', edge);
  }

  function catalog(base, lang) {
    var url = new URL('i18n/' + lang + '.json', base).href;
    if (!catalogs[url]) {
      catalogs[url] = fetch(url)
        .then(function (r) { if (!r.ok) throw new Error('catalog ' + lang + ': ' + r.status); return r.json(); });
    }
    return catalogs[url];
  }

  // The module as its integrity says, or nothing: a modulepreload checks it, and import()
  // then takes the module the preload put in the page's module map.
  function checked(url) {
    if (!built) return import(url);
    return new Promise(function (resolve, reject) {
      var link = document.createElement('link');
      link.rel = 'modulepreload';
      link.href = url;
      link.integrity = INTEGRITY.module;
      link.crossOrigin = 'anonymous';
      link.onload = function () { resolve(import(url)); };
      link.onerror = function () { reject(new Error('the widget module failed its integrity check or did not load: ' + url)); };
      document.head.appendChild(link);
    });
  }

  // The module, asked for again if the first request has not answered in 10 s (a stalled
  // connection; wrangler dev's asset server was seen to hold this one file for 94 s): the
  // first answer wins.
  function importModule(url) {
    return new Promise(function (resolve, reject) {
      var settled = false;
      function attempt(u) {
        checked(u).then(function (m) {
          if (!settled) { settled = true; resolve(m); }
        }, function (err) {
          if (!settled) { settled = true; reject(err); }
        });
      }
      attempt(url);
      setTimeout(function () { if (!settled) attempt(url + '?again'); }, 10000);
    });
  }

  function load(base) {
    var key = base.href;
    if (!modules[key]) {
      var module = new URL('ringproof-widget.js', base).href;
      var wasm = new URL('ringproof-widget_bg.wasm', base).href;
      modules[key] = importModule(module).then(function (m) {
        // fetch() checks the wasm's integrity before a byte of it is compiled.
        var got = built ? fetch(wasm, { integrity: INTEGRITY.wasm, mode: 'cors', credentials: 'omit' }) : wasm;
        return m.default({ module_or_path: got }).then(function () { return m; });
      });
      modules[key].catch(function () { delete modules[key]; });
    }
    return modules[key];
  }

  function adopt(shadow, css) {
    if (!('adoptedStyleSheets' in shadow) || !window.CSSStyleSheet) return;
    if (!loadingSheet) { loadingSheet = new CSSStyleSheet(); loadingSheet.replaceSync(css); }
    shadow.adoptedStyleSheets = [loadingSheet];
  }

  // Turnstile's option names and ours, as `render` takes them, to the element's attributes.
  var OPTIONS = {
    sitekey: 'site-key', siteKey: 'site-key', 'site-key': 'site-key',
    lang: 'lang', language: 'lang', theme: 'theme', size: 'size', edge: 'edge',
    channel: 'channel', country: 'country', phone: 'phone', action: 'action', cdata: 'cdata',
    'response-field-name': 'response-field-name', responseFieldName: 'response-field-name',
    'response-field': 'response-field', responseField: 'response-field',
    clientTransactionId: 'client-transaction-id', 'client-transaction-id': 'client-transaction-id',
    clientTransactionSignature: 'client-transaction-signature',
    'client-transaction-signature': 'client-transaction-signature', name: 'name',
    required: 'required'
  };
  // Each event, and the callbacks that hear it: a `render` option, or a `data-*-callback`
  // attribute naming a global function (Turnstile's `data-callback` is the verified one).
  var EVENTS = {
    ready: ['ready-callback'],
    pending: ['pending-callback'],
    verified: ['callback', 'verified-callback'],
    failed: ['failed-callback'],
    expired: ['expired-callback'],
    error: ['error-callback']
  };
  // What a change to these means starting afresh; the rest is read when the visitor starts,
  // or is styling.
  var REMOUNT = ['site-key', 'lang', 'edge', 'country', 'phone'];

  class RingproofVerify extends HTMLElement {
    static get formAssociated() { return true; }
    static get observedAttributes() { return REMOUNT.concat(['required', 'response-field', 'response-field-name']); }

    constructor() {
      super();
      this._internals = this.attachInternals ? this.attachInternals() : null;
      this._callbacks = {};
      this._token = '';
      this._state = 'idle';
      this._rendered = !explicit;
      this._generation = 0;
    }

    connectedCallback() {
      if (this._rendered) this._start();
    }

    disconnectedCallback() {
      // A move within the page reconnects at once: only a real removal ends the widget.
      var el = this;
      Promise.resolve().then(function () { if (!el.isConnected) el._stop(); });
    }

    attributeChangedCallback(name, before, after) {
      if (before === after) return;
      if (REMOUNT.indexOf(name) >= 0 && this._widget !== undefined) this.reset();
      else this._formValue();
    }

    formResetCallback() { this.reset(); }

    // The element's own API, as `window.ringproof` offers it by element.
    get value() { return this._token; }
    get name() { return this.getAttribute('name') || FIELD; }
    get form() { return this._internals ? this._internals.form : this.closest('form'); }
    get validity() { return this._internals && this._internals.validity; }
    get validationMessage() { return this._internals ? this._internals.validationMessage : ''; }
    get willValidate() { return this._internals ? this._internals.willValidate : false; }
    checkValidity() { return this._internals ? this._internals.checkValidity() : true; }
    reportValidity() { return this._internals ? this._internals.reportValidity() : true; }
    getResponse() { return this._token || undefined; }
    isExpired() { return this._state === 'expired'; }
    reset() { this._stop(); if (this._rendered && this.isConnected) this._start(); }
    remove() { this._stop(); HTMLElement.prototype.remove.call(this); }
    render(options) {
      var el = this;
      Object.keys(options || {}).forEach(function (k) {
        var v = options[k];
        if (typeof v === 'function') { el._callbacks[k.replace(/Callback$/, '-callback').toLowerCase()] = v; return; }
        var attr = OPTIONS[k];
        if (!attr || v === undefined || v === null) return;
        if (v === false) el.setAttribute(attr, 'false');
        else if (v === true) el.setAttribute(attr, '');
        else el.setAttribute(attr, String(v));
      });
      this._rendered = true;
      if (this.isConnected) this.reset();
      return this;
    }

    _start() {
      if (this._widget !== undefined) return;
      var el = this;
      var generation = ++this._generation;
      var shadow = this.shadowRoot;
      if (!shadow) {
        shadow = this.attachShadow({ mode: 'open' });
        // The fields inside are the widget's business: the page hears `input` from the
        // element only when its value (the token) changes, as from any one field.
        shadow.addEventListener('input', function (e) { e.stopPropagation(); });
      }
      var lang = languageOf(this);
      var edge = edgeOf(this);
      var base = filesOf(edge);
      this._widget = null;
      adopt(shadow, LOADING_CSS);
      shadow.textContent = '';
      // The phone field at once, in a form of its own until the widget is there: the widget
      // takes the field over, with what was typed, the focus, and an Enter already pressed.
      var box = document.createElement('form');
      box.className = 'loading';
      box.noValidate = true;
      box.lang = lang;
      box.dir = lang === 'ar' || lang === 'he' ? 'rtl' : 'ltr';
      var label = document.createElement('label');
      label.htmlFor = 'rp-phone';
      label.textContent = LABELS[lang];
      var field = document.createElement('input');
      field.id = 'rp-phone';
      field.type = 'tel';
      field.dir = 'ltr';
      field.autocomplete = 'tel-national';
      field.inputMode = 'tel';
      field.setAttribute('data-testid', 'phone');
      field.setAttribute('part', 'phone');
      field.value = this.getAttribute('phone') || '';
      var said = document.createElement('p');
      said.setAttribute('role', 'status');
      said.textContent = WORDS[lang];
      box.addEventListener('submit', function (e) {
        e.preventDefault();
        field.setAttribute('data-submitted', '');
      });
      box.append(label, field, said);
      shadow.appendChild(box);
      this._set('loading', '');
      // The module and the catalog are fetched side by side; a missing catalog falls back
      // to English rather than to no widget.
      var messages = catalog(base, lang).catch(function () { lang = 'en'; return catalog(base, 'en'); });
      this._messages = messages;
      Promise.all([load(base), messages]).then(function (got) {
        if (generation !== el._generation) return;
        el._catalog = got[1];
        el._widget = got[0].mount(shadow, el, edge, lang, got[1], function (what, detail) {
          if (generation === el._generation) el._heard(what, detail);
        }, field) || null;
        el._formValue();
      }, function (err) {
        if (generation !== el._generation) return;
        // Said in the visitor's language when its catalog arrived (the module failed), else
        // in English.
        messages.then(function (m) { return m['load.failed']; }, function () { return null; })
          .then(function (said) {
            box.textContent = said || 'Phone verification could not load. Please reload the page.';
          });
        console.error('ringproof:', err);
        el._set('error', '');
        el._emit('error', { code: 'load' });
      });
    }

    _stop() {
      this._generation++;
      if (this._widget) this._widget.unmount();
      this._widget = undefined;
      if (this.shadowRoot) this.shadowRoot.textContent = '';
      this._set('idle', '');
    }

    // What the widget tells: events, the form's value, the element's state.
    _heard(what, detail) {
      if (what === 'verified') this._set('verified', detail.token || '');
      else if (what === 'expired') this._set('expired', '');
      else if (what === 'pending' || what === 'failed') this._set(what, '');
      else if (what === 'ready') this._set('ready', this._token);
      this._emit(what, detail);
    }

    _set(state, token) {
      var changed = token !== this._token;
      this._state = state;
      this._token = token;
      var states = this._internals && this._internals.states;
      if (states) {
        try {
          ['loading', 'ready', 'pending', 'verified', 'failed', 'expired', 'error'].forEach(function (s) {
            if (s === state) states.add(s); else states.delete(s);
          });
        } catch (e) { /* an older CustomStateSet that wants --dashed names */ }
      }
      this._formValue();
      if (changed) {
        // What a form library listens for on any field.
        this.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
        this.dispatchEvent(new Event('change', { bubbles: true }));
      }
    }

    // The token goes with the form under the field's name (a hidden input where there is no
    // ElementInternals); `required` holds the form back, saying why in the visitor's language.
    _formValue() {
      var field = this.getAttribute('response-field-name') || this.getAttribute('name') || FIELD;
      var off = this.getAttribute('response-field') === 'false';
      var token = this._token;
      if (this._internals) {
        if (off || !token) this._internals.setFormValue(null);
        else { var data = new FormData(); data.append(field, token); this._internals.setFormValue(data); }
        var missing = this.hasAttribute('required') && !token;
        var said = (this._catalog && this._catalog['form.required']) || 'Please verify your phone number.';
        var anchor = this.shadowRoot && this.shadowRoot.querySelector('[data-testid=phone]');
        if (missing) this._internals.setValidity({ valueMissing: true }, said, anchor || undefined);
        else this._internals.setValidity({});
      } else if (!off) {
        var input = this.querySelector('input[type=hidden][data-ringproof]');
        if (!input && token) {
          input = document.createElement('input');
          input.type = 'hidden';
          input.setAttribute('data-ringproof', '');
          this.appendChild(input);
        }
        if (input) { input.name = field; input.value = token; }
      }
    }

    _emit(what, detail) {
      detail = detail || {};
      this.dispatchEvent(new CustomEvent('ringproof-' + what, { bubbles: true, composed: true, detail: detail }));
      var el = this;
      EVENTS[what].forEach(function (name) {
        var fn = el._callbacks[name];
        var global = el.getAttribute('data-' + name);
        if (!fn && global && typeof window[global] === 'function') fn = window[global];
        if (!fn) return;
        try {
          if (what === 'verified') fn.call(el, detail.token, detail);
          else if (what === 'failed' || what === 'error') fn.call(el, detail.code, detail);
          else fn.call(el, detail);
        } catch (e) { console.error('ringproof callback:', e); }
      });
    }
  }
  customElements.define('ringproof-verify', RingproofVerify);

  // `ringproof.render(container | selector | element, options)`: into a container, a new
  // element; on an element, that one. Other calls take the element (or a selector), else the
  // page's first widget.
  function find(target) {
    if (!target) return document.querySelector('ringproof-verify');
    if (typeof target === 'string') target = document.querySelector(target);
    if (!target) return null;
    if (target.localName === 'ringproof-verify') return target;
    return target.querySelector('ringproof-verify');
  }
  var api = {
    render: function (target, options) {
      var container = typeof target === 'string' ? document.querySelector(target) : target;
      if (!container) throw new Error('ringproof.render: no element ' + target);
      var el = container.localName === 'ringproof-verify' ? container : document.createElement('ringproof-verify');
      el.render(options || {});
      if (el !== container) container.appendChild(el);
      return el;
    },
    reset: function (target) { var el = find(target); if (el) el.reset(); },
    remove: function (target) { var el = find(target); if (el) el.remove(); },
    getResponse: function (target) { var el = find(target); return el ? el.getResponse() : undefined; },
    isExpired: function (target) { var el = find(target); return el ? el.isExpired() : false; }
  };
  window.ringproof = api;
  var onload = params.get('onload');
  if (onload) {
    // Called once the API is there, as Turnstile's `?onload=` is; a function defined after
    // this script still runs.
    setTimeout(function () {
      if (typeof window[onload] === 'function') window[onload]();
      else console.error('ringproof: no onload function ' + onload);
    }, 0);
  }
})();
