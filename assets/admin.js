// What the staff pages do in the browser. It is a file, not inline script, so their
// Content-Security-Policy (script-src 'self') can refuse any script an attacker manages to inject.
'use strict';

// A form with data-confirm asks before it is sent (rotating a QR code, erasing a member, ...).
document.addEventListener('submit', (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A button with data-print prints the page (the posters).
document.addEventListener('click', (event) => {
  if (event.target.closest && event.target.closest('[data-print]')) {
    window.print();
  }
});

// A file input with data-csv-upload sends the chosen file as it is (raw bytes), so the server can
// check its encoding; the answer (the import result page) replaces this page.
document.querySelectorAll('input[type=file][data-csv-upload]').forEach((input) => {
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    const token = input.form.querySelector('input[name=csrf_token]').value;
    const response = await fetch(input.dataset.csvUpload, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': token },
      body: await file.arrayBuffer(),
    });
    document.open();
    document.write(await response.text());
    document.close();
  });
});
