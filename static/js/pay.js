// Stripe's Payment Element on the pay page, when the deployment has a publishable key. The
// order is marked paid by Stripe's signed webhook, never by this page.
(function () {
  var el = document.getElementById("payment-element");
  if (!el || typeof Stripe === "undefined") return;
  var stripe = Stripe(el.getAttribute("data-publishable-key"));
  var elements = stripe.elements({ clientSecret: el.getAttribute("data-client-secret") });
  elements.create("payment").mount(el);
  var form = document.getElementById("payment-form");
  var message = document.getElementById("payment-message");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var back = new URL(el.getAttribute("data-return-url"), location.href).toString();
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: back } }).then(function (r) {
      if (r.error && message) {
        message.textContent = r.error.message;
        message.hidden = false;
      }
    });
  });
})();
