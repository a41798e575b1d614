// The service worker (served as /sw.js, scope /): the scanner and 我的码 open without
// network. web/build.mjs fills in the hashed files it keeps and its version.
//
// - It is installed by those two pages only (a resident browsing activities never
//   downloads it). Installing, it keeps the scripts and styles they load (their
//   content-hashed names, so a new release is a new list and old files go); any other
//   file of this site they load (the QR decoder) is kept the first time it is fetched.
// - A visit to a scanner page or to 我的码 is asked of the network first (what the server
//   says now wins) and kept; without network, or if the network takes more than a few
//   seconds, the kept copy answers. The pages ask to be kept when they open (app.js), and
//   a page seen with nobody logged in asks for them all to be forgotten (logging out on
//   a shared phone leaves nothing personal behind).
// - Nothing else is touched: the API, uploads and every other page go to the network as
//   if there were no worker.
/* global workbox */
"use strict";

importScripts("/static/vendor/workbox/workbox-sw.js");
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });

var VERSION = self.__WUSHE_VERSION;
var PAGES = "wushe-pages";
var OFFLINE_PAGE = /^\/(code|manage\/[0-9]+\/scanner)$/;

workbox.core.setCacheNameDetails({ prefix: "wushe", suffix: VERSION });
workbox.core.skipWaiting();
workbox.core.clientsClaim();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute(
  self.__WUSHE_PRECACHE.map(function (url) { return { url: url, revision: null }; }));

// a static file a kept page loaded (the decoder, say), kept as it is fetched: one whose
// name carries its content's hash never changes, so the kept copy answers; one asked for
// by its plain name (the decoder's .wasm) may change with a release, so the network
// answers first and the kept copy only without it
var HASHED = /\.[0-9a-f]{10}\.[a-z0-9]+$/;
var ASSETS = { plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 60 })] };

function staticFile(ctx) {
  return ctx.url.origin === self.location.origin && ctx.url.pathname.startsWith("/static/");
}

workbox.routing.registerRoute(
  function (ctx) { return staticFile(ctx) && HASHED.test(ctx.url.pathname); },
  new workbox.strategies.CacheFirst(Object.assign({ cacheName: "wushe-assets" }, ASSETS)));
workbox.routing.registerRoute(
  function (ctx) { return staticFile(ctx) && !HASHED.test(ctx.url.pathname); },
  new workbox.strategies.NetworkFirst(Object.assign(
    { cacheName: "wushe-named-assets", networkTimeoutSeconds: 4 }, ASSETS)));

workbox.routing.registerRoute(
  function (ctx) {
    return ctx.request.mode === "navigate" && ctx.url.origin === self.location.origin &&
      OFFLINE_PAGE.test(ctx.url.pathname);
  },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 4,
    plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 20 })],
  }));

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-page" && OFFLINE_PAGE.test(new URL(data.url).pathname)) {
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return fetch(data.url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) return cache.put(data.url, response);
      });
    }).catch(function () {}));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});
