// The member card's LIFF page (/me in LINE): logs in with LIFF, sends LINE's ID token and access
// token to the server, which asks LINE who this is and answers with the card's address.
(function () {
  "use strict";
  var app = document.getElementById("me-liff");

  function show(name) {
    document.querySelectorAll(".state").forEach(function (el) { el.classList.remove("active"); });
    document.getElementById("state-" + name).classList.add("active");
  }
  function fail(zh, en, retryable) {
    document.getElementById("error-zh").textContent = zh;
    document.getElementById("error-en").textContent = en || "";
    document.getElementById("error-retry").hidden = !retryable;
    show("error");
  }
  function open() {
    show("loading");
    return fetch("/api/me/open", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ id_token: liff.getIDToken(), access_token: liff.getAccessToken() })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (res) {
      if (res.status === 200 && res.body.card_path) {
        window.location.replace(res.body.card_path);
      } else if (res.body.error === "not_member") {
        show("not-member");
      } else {
        fail(res.body.message || "發生錯誤，請稍後再試。", res.body.message_en, res.status >= 500 || res.status === 429);
      }
    }).catch(function () {
      fail("網路連線中斷，請按「重試」。", "The connection was lost; tap Retry.", true);
    });
  }

  document.getElementById("retry").addEventListener("click", open);
  if (typeof liff === "undefined") {
    fail("無法載入 LINE 元件，請確認網路後重新整理。", "The LINE SDK could not be loaded; check the connection and reload.", false);
    return;
  }
  liff.init({ liffId: app.getAttribute("data-liff-id") }).then(function () {
    if (!liff.isLoggedIn()) {
      liff.login({ redirectUri: window.location.href });
      return;
    }
    return open();
  }).catch(function () {
    fail("LINE 初始化失敗，請稍後再試。", "LINE could not start; please try again later.", true);
  });
})();
