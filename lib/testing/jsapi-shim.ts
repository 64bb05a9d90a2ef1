/**
 * Stands in for Feishu's H5 JSSDK when a page is opened outside the Feishu client:
 * `h5sdk.ready` runs at once, and `tt.requestAccess` / `tt.requestAuthCode` get a code
 * from the mock as the client would (no redirect binding). Served at `/mock/h5sdk.js`.
 */
export const JSAPI_SHIM = `(function () {
  var origin = new URL(document.currentScript.src).origin;
  function code(api, appId, success, fail) {
    fetch(origin + '/mock/jsapi/code?api=' + api + '&app_id=' + encodeURIComponent(appId || ''))
      .then(function (r) { return r.json(); })
      .then(function (body) { body.code ? success && success(body) : fail && fail({ errno: body.code, errMsg: body.msg }); })
      .catch(function (err) { fail && fail({ errMsg: String(err) }); });
  }
  window.h5sdk = { ready: function (fn) { fn(); }, error: function () {} };
  window.tt = {
    requestAccess: function (o) { code('requestAccess', o.appID, o.success, o.fail); },
    requestAuthCode: function (o) { code('requestAuthCode', o.appId, o.success, o.fail); }
  };
})();
`;
