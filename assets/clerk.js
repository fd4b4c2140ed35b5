// What the clerk's pages (/clerk) do in the browser. A file, not inline script, so their
// Content-Security-Policy (script-src 'self') refuses any script an attacker manages to inject.
'use strict';

// The purchase form: a double tap sends one request (the form's idempotency key makes a second
// one the same record anyway).
document.querySelectorAll('form[data-once]').forEach((form) => {
  form.addEventListener('submit', (event) => {
    const button = form.querySelector('button[type=submit]');
    if (button.disabled) {
      event.preventDefault();
      return;
    }
    setTimeout(() => { button.disabled = true; }, 0);
  });
});

// The full-screen QR code: keep the screen on while the shopper scans, where the browser allows.
if (document.querySelector('.full-qr') && navigator.wakeLock) {
  navigator.wakeLock.request('screen').catch(() => {});
}

// Scans the member card with the camera where the browser has a QR reader (BarcodeDetector:
// Chrome on Android). Elsewhere the button stays hidden and the typed code does the same — or the
// phone's own camera app, since the card's QR code is a link to /clerk/member.
(() => {
  const button = document.getElementById('scan-card');
  if (!button || !('BarcodeDetector' in window) || !navigator.mediaDevices
      || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  const box = document.getElementById('scanner');
  const video = document.getElementById('scanner-video');
  const problem = document.getElementById('scanner-error');
  let detector = null;
  let stream = null;
  let timer = null;
  window.BarcodeDetector.getSupportedFormats().then((formats) => {
    if (!formats.includes('qr_code')) return;
    detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    button.hidden = false;
  }).catch(() => {});
  const stop = () => {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; }
    box.hidden = true;
    button.hidden = false;
  };
  button.addEventListener('click', () => {
    problem.hidden = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then((s) => {
        stream = s;
        video.srcObject = s;
        box.hidden = false;
        button.hidden = true;
        return video.play();
      })
      .then(() => {
        timer = setInterval(() => {
          detector.detect(video).then((codes) => {
            if (!codes.length || !timer) return;
            stop();
            document.getElementById('card').value = codes[0].rawValue;
            document.getElementById('card-form').submit();
          }).catch(() => {});
        }, 250);
      })
      .catch(() => {
        stop();
        problem.textContent = problem.dataset.message;
        problem.hidden = false;
      });
  });
  document.getElementById('scanner-stop').addEventListener('click', stop);
})();
