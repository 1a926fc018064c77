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
  // What the element says before its catalog has arrived, and if nothing can load.
  var WORDS = {
    'en': ["Loading phone verification…", "Phone verification could not load. Please reload the page."],
    'hi': ["फ़ोन सत्यापन लोड हो रहा है…", "फ़ोन सत्यापन लोड नहीं हो सका। कृपया पेज को फिर से लोड करें।"],
    'ru': ["Загрузка подтверждения по телефону…", "Не удалось загрузить подтверждение по телефону. Пожалуйста, обновите страницу."],
    'sk': ["Načítava sa overenie telefónom…", "Overenie telefónom sa nepodarilo načítať. Obnovte, prosím, stránku."],
    'es': ["Cargando la verificación telefónica…", "No se ha podido cargar la verificación telefónica. Vuelva a cargar la página."],
    'pt': ["Carregando a verificação por telefone…", "Não foi possível carregar a verificação por telefone. Recarregue a página."],
    'fr': ["Chargement de la vérification par téléphone…", "Impossible de charger la vérification par téléphone. Veuillez recharger la page."],
    'de': ["Telefonbestätigung wird geladen…", "Die Telefonbestätigung konnte nicht geladen werden. Bitte laden Sie die Seite neu."],
    'ar': ["جارٍ تحميل التحقق عبر الهاتف…", "تعذّر تحميل التحقق عبر الهاتف. يُرجى تحميل الصفحة من جديد."],
    'he': ["אימות הטלפון נטען…", "לא ניתן היה לטעון את אימות הטלפון. נא לטעון מחדש את הדף."],
    'zh-CN': ["正在加载手机验证…", "手机验证无法加载。请刷新页面。"],
    'ja': ["電話番号認証を読み込んでいます…", "電話番号認証を読み込めませんでした。ページを再読み込みしてください。"]
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
      var lang = languageOf(this);
      var words = WORDS[lang];
      shadow.textContent = words[0];
      // The module and the catalog are fetched side by side; a missing catalog falls back
      // to English rather than to no widget.
      var messages = catalog(lang).catch(function () { lang = 'en'; return catalog('en'); });
      Promise.all([load(), messages]).then(function (got) {
        shadow.textContent = '';
        got[0].mount(shadow, host, apiBase, lang, got[1]);
      }, function (err) {
        shadow.textContent = words[1];
        console.error('ringproof:', err);
      });
    }
  }
  customElements.define('ringproof-verify', RingproofVerify);
})();
