// Share links carry their code in the URL fragment (after "#"), which browsers never
// send to a server. Move it into the form, drop it from the address bar, and submit.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("share-form");
  var field = document.getElementById("share-token");
  var code = window.location.hash.slice(1);
  if (!form || !field || !code) {
    return;
  }
  history.replaceState(null, "", window.location.pathname);
  field.value = decodeURIComponent(code);
  form.submit();
});
