// Lets ReDoc style itself under a Content-Security-Policy without 'unsafe-inline'.
//
// ReDoc (through styled-components) injects <style> elements, which style-src 'self'
// blocks; styled-components then fails to find their sheet and ReDoc stops. Stylesheets
// built with the CSSOM (new CSSStyleSheet, document.adoptedStyleSheets) are not inline
// markup and CSP allows them. So, loaded before ReDoc, this keeps script-made <style>
// elements out of the document and gives each one a constructed sheet instead: rules
// added with sheet.insertRule land there directly, and text written into the element
// is copied there. Markup in the page is unaffected and still subject to the policy.
(function () {
  "use strict";
  if (typeof CSSStyleSheet !== "function" || !("adoptedStyleSheets" in document)) return;

  var sheets = new WeakMap(); // script-made <style> -> its constructed sheet
  var viaCssom = new WeakSet(); // styles whose rules are inserted through .sheet, not text

  function sheetFor(style) {
    var sheet = sheets.get(style);
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheets.set(style, sheet);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
      var copyText = function () {
        if (!viaCssom.has(style)) sheet.replaceSync(style.textContent || "");
      };
      new MutationObserver(copyText).observe(style, { childList: true, characterData: true, subtree: true });
      copyText();
    }
    return sheet;
  }

  var createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (name) {
    var element = createElement.apply(this, arguments);
    if (String(name).toLowerCase() === "style") {
      Object.defineProperty(element, "sheet", {
        configurable: true,
        get: function () {
          viaCssom.add(element);
          return sheetFor(element);
        },
      });
      sheets.set(element, null);
    }
    return element;
  };

  function keepOut(original) {
    return function (child) {
      if (child instanceof HTMLStyleElement && sheets.has(child)) {
        sheetFor(child); // adopt its sheet; the element itself stays detached
        return child;
      }
      return original.apply(this, arguments);
    };
  }
  Node.prototype.appendChild = keepOut(Node.prototype.appendChild);
  Node.prototype.insertBefore = keepOut(Node.prototype.insertBefore);
})();
