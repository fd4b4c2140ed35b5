// The member card (/me/{link}): counts the shown number down and fetches a fresh one before it
// runs out. The countdown uses the seconds the server gave, not the phone's clock, which may be off.
(function () {
  "use strict";
  var card = document.getElementById("member-card");
  if (!card) { return; }
  var link = card.getAttribute("data-link");
  var qr = document.getElementById("card-qr");
  var digits = document.getElementById("card-code");
  var countdown = document.getElementById("countdown");
  var error = document.getElementById("card-error");
  // A fresh number is asked for once the shown one is a minute old (each works 5 minutes).
  var REFRESH_BELOW = 240;
  var deadline = Date.now() + Number(card.getAttribute("data-expires-in")) * 1000;
  var fetching = false;
  var stopped = false;

  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }
  function showError(zh) {
    error.textContent = zh || "";
    error.hidden = !zh;
  }
  function render() {
    var left = secondsLeft();
    if (left === 0) {
      qr.classList.add("stale");
      countdown.textContent = "號碼已過期，正在更新… Refreshing…";
    } else {
      qr.classList.remove("stale");
      var m = Math.floor(left / 60);
      var s = left % 60;
      countdown.textContent = "號碼有效時間剩 " + m + ":" + (s < 10 ? "0" : "") + s + "，畫面會自動更新。";
    }
  }
  function refresh() {
    if (fetching || stopped) { return; }
    fetching = true;
    fetch("/api/me/" + encodeURIComponent(link) + "/code", { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (res) {
        fetching = false;
        if (res.status === 200 && res.body.code) {
          qr.innerHTML = res.body.qr_svg; // made by this server from the code's URL
          digits.textContent = res.body.code;
          deadline = Date.now() + res.body.expires_in_secs * 1000;
          showError(null);
          render();
        } else if (res.status === 410 || res.status === 400) {
          // The link expired or the member is gone: no new number will come.
          stopped = true;
          showError(res.body.message || "會員卡連結已過期，請在 LINE 聊天室輸入「會員卡」取得新連結。");
        } else {
          showError("暫時無法更新號碼，稍後會再試。 The number could not be refreshed; retrying.");
        }
      })
      .catch(function () {
        fetching = false;
        showError("網路連線中斷，恢復後會自動更新號碼。 Offline; the number refreshes when the connection is back.");
      });
  }
  function tick() {
    render();
    if (secondsLeft() <= REFRESH_BELOW) { refresh(); }
  }
  render();
  window.setInterval(tick, 1000);
  // A phone that slept with the page open asks at once when it wakes.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { tick(); }
  });
})();
