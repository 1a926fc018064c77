// Ringproof loader, served at /v1/widget.js. A page embeds it with one classic script tag:
// it defines <ringproof-verify>, and each element loads the widget (an ES module and its wasm,
// fetched from beside this script) into an open shadow root of its own, with the catalog of
// the visitor's language (only that one is downloaded).
(function () {
  'use strict';
  if (!window.customElements || customElements.get('ringproof-verify')) return;
  var script = document.currentScript;
  // The widget finds its edge from its own URL, so it works embedded in any origin's page.
  var base = new URL('.', script && script.src ? script.src : location.href);
  var apiBase = base.origin;
  var loading = null;
  var catalogs = {};
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

  function catalog(lang) {
    if (!catalogs[lang]) {
      catalogs[lang] = fetch(new URL('widget/i18n/' + lang + '.json', base).href)
        .then(function (r) { if (!r.ok) throw new Error('catalog ' + lang + ': ' + r.status); return r.json(); });
    }
    return catalogs[lang];
  }

  // The module, asked for again if the first request has not answered in 10 s (a stalled
  // connection; wrangler dev's asset server was seen to hold this one file for 94 s): the
  // first answer wins.
  function importModule(url) {
    return new Promise(function (resolve, reject) {
      var settled = false;
      function attempt(u) {
        import(u).then(function (m) {
          if (!settled) { settled = true; resolve(m); }
        }, function (err) {
          if (!settled) { settled = true; reject(err); }
        });
      }
      attempt(url);
      setTimeout(function () { if (!settled) attempt(url + '?again'); }, 10000);
    });
  }

  function load() {
    if (!loading) {
      var module = new URL('widget/ringproof-widget.js', base).href;
      var wasm = new URL('widget/ringproof-widget_bg.wasm', base).href;
      loading = importModule(module).then(function (m) {
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
      var lang = languageOf(this);
      shadow.textContent = WORDS[lang];
      // The module and the catalog are fetched side by side; a missing catalog falls back
      // to English rather than to no widget.
      var messages = catalog(lang).catch(function () { lang = 'en'; return catalog('en'); });
      Promise.all([load(), messages]).then(function (got) {
        shadow.textContent = '';
        got[0].mount(shadow, host, apiBase, lang, got[1]);
      }, function (err) {
        // Said in the visitor's language when its catalog arrived (the module failed), else
        // in English.
        messages.then(function (m) { return m['load.failed']; }, function () { return null; })
          .then(function (said) {
            shadow.textContent = said || 'Phone verification could not load. Please reload the page.';
          });
        console.error('ringproof:', err);
      });
    }
  }
  customElements.define('ringproof-verify', RingproofVerify);
})();
