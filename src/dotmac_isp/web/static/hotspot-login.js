// The captive portal's form: the voucher code goes to the NAS as typed on the card
// (upper case, no spaces or dashes), as both the user name and the password.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("hotspot-login");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var code = document.getElementById("code");
    var clean = code.value.replace(/[\s-]/g, "").toUpperCase();
    code.value = clean;
    document.getElementById("password").value = clean;
  });
});
