// Once django-otp-webauthn's script has registered a passkey, go on to the backup codes.
document.addEventListener("otp_webauthn.register_complete", () => {
  const next = document.getElementById("passkey-done");
  if (next) window.location.assign(next.getAttribute("href"));
});
