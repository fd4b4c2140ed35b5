/* Stand-in for the LIFF SDK (https://static.line-scdn.net/liff/edge/2/sdk.js), served by the
   store-assistant LINE emulator in demo mode. Same names and promises as the real SDK for what a
   LIFF page uses; the emulated LINE account is this browser's emulator cookie. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script ? new URL(script.src, window.location.href).origin : window.location.origin) + "/emulator";
  var session = null;
  var liffId = null;
  var resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });

  function LiffError(code, message) {
    var err = new Error(message);
    err.code = code;
    return err;
  }
  function requireInit() {
    if (!session) { throw LiffError("INIT_FAILED", "liff.init() must be called first"); }
  }

  var liff = {
    id: null,
    ready: ready,
    init: function (config) {
      liffId = config && config.liffId;
      liff.id = liffId;
      if (!liffId) { return Promise.reject(LiffError("INVALID_CONFIG", "liffId is necessary for liff.init()")); }
      return fetch(base + "/liff/session?liff_id=" + encodeURIComponent(liffId), { credentials: "same-origin" })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) { throw LiffError(body.error || "INIT_FAILED", body.message || "init failed"); }
            session = body;
            resolveReady();
          });
        });
    },
    isLoggedIn: function () { return !!(session && session.loggedIn); },
    login: function (options) {
      var redirect = (options && options.redirectUri) || window.location.href;
      window.location.href = base + "/liff/login?liff_id=" + encodeURIComponent(liffId || "") +
        "&redirect_uri=" + encodeURIComponent(redirect);
    },
    logout: function () {
      session = session && { loggedIn: false };
      fetch(base + "/liff/logout", { method: "POST", credentials: "same-origin" });
    },
    getIDToken: function () { requireInit(); return session.idToken || null; },
    getDecodedIDToken: function () {
      var token = liff.getIDToken();
      if (!token) { return null; }
      var payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(decodeURIComponent(escape(atob(payload))));
    },
    getAccessToken: function () { requireInit(); return session.accessToken || null; },
    getProfile: function () {
      requireInit();
      if (!session.loggedIn) { return Promise.reject(LiffError("UNAUTHORIZED", "need access_token for api call, Please login first")); }
      return Promise.resolve({ userId: session.profile.userId, displayName: session.profile.displayName });
    },
    getFriendship: function () {
      requireInit();
      if (!session.loggedIn) { return Promise.reject(LiffError("UNAUTHORIZED", "need access_token for api call, Please login first")); }
      return fetch(base + "/api/friendship/v1/status", { headers: { "Authorization": "Bearer " + session.accessToken } })
        .then(function (res) { return res.json(); });
    },
    getContext: function () {
      if (!session) { return null; }
      return {
        type: liff.isInClient() ? "none" : "external",
        viewType: "full",
        userId: session.loggedIn ? session.profile.userId : undefined,
        liffId: liffId,
        endpointUrl: window.location.origin + "/liff",
        accessTokenHash: "",
        availability: {},
        scope: ["openid", "profile", "chat_message.write"],
        menuColorSetting: { adaptableColorSchemes: ["light"], currentColorScheme: "light" }
      };
    },
    isInClient: function () { return window.self !== window.top; },
    getOS: function () { return "web"; },
    getLanguage: function () { return navigator.language; },
    getAppLanguage: function () { return navigator.language; },
    getVersion: function () { return "2.x-emulator"; },
    getLineVersion: function () { return liff.isInClient() ? "14.0.0" : null; },
    isApiAvailable: function () { return false; },
    openWindow: function (params) {
      if (params && params.external) { window.open(params.url, "_blank", "noopener"); }
      else if (params) { window.location.href = params.url; }
    },
    closeWindow: function () { window.location.href = base + "/chat"; }
  };
  window.liff = liff;
})();
