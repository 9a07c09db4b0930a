// Fleet page of the back office: the receipt's print button (no inline handler: CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-role='print-receipt']");
    if (button) {
      window.print();
    }
  });
})();
