// The scanner's eyes and voice: the back camera, a QR decoder that runs on every
// frame it can, and a beep plus a buzz for each answer.
// Decoder: the browser's own BarcodeDetector where it reads QR codes (Android
// Chrome, Safari), else the barcode-detector ponyfill with ZXing compiled to
// WebAssembly, its .wasm served by this site (the users' network is closed).
(function () {
  "use strict";

  var audio = null;

  function unlockAudio() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!audio && Ctx) audio = new Ctx();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }

  // One high beep for yes, two low ones for no; a short or a double buzz.
  function feedback(ok) {
    if (navigator.vibrate) {
      try { navigator.vibrate(ok ? 80 : [220, 90, 220]); } catch (e) { /* not allowed */ }
    }
    if (!audio || audio.state !== "running") return;
    var start = audio.currentTime;
    var tones = ok ? [[1046, 0, 0.14]] : [[330, 0, 0.2], [330, 0.28, 0.2]];
    tones.forEach(function (tone) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.3, start + tone[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + tone[2]);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(start + tone[1]);
      osc.stop(start + tone[1] + tone[2] + 0.02);
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function makeDetector(opts) {
    var native = "BarcodeDetector" in window
      ? window.BarcodeDetector.getSupportedFormats().catch(function () { return []; })
      : Promise.resolve([]);
    return native.then(function (formats) {
      if (formats.indexOf("qr_code") >= 0) {
        opts.onDecoder("native");
        return new window.BarcodeDetector({ formats: ["qr_code"] });
      }
      return loadScript(opts.ponyfill).then(function () {
        var api = window.BarcodeDetectionAPI;
        // the .wasm comes from this site, never from the package's default CDN
        var overrides = {
          locateFile: function (path, prefix) {
            return path.endsWith(".wasm") ? opts.wasm : prefix + path;
          },
        };
        api.setZXingModuleOverrides(overrides);
        if (api.prepareZXingModule) {
          // fetch and compile it now, while the network is surely there
          Promise.resolve(api.prepareZXingModule({ overrides: overrides,
                                                   fireImmediately: true }))
            .catch(function () {});
        }
        opts.onDecoder("zxing-wasm");
        return new api.BarcodeDetector({ formats: ["qr_code"] });
      });
    });
  }

  // opts: { video, ponyfill, wasm, ready() -> bool, onText(text), onDecoder(name),
  //         onCamera(on) }
  function start(opts) {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      opts.onCamera(false);
      return;
    }
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 },
               height: { ideal: 720 } },
    }).then(function (stream) {
      opts.video.srcObject = stream;
      var playing = opts.video.play();
      if (playing && playing.catch) playing.catch(function () {});
      opts.onCamera(true);
      return makeDetector(opts).then(function (detector) {
        function tick() {
          var ready = opts.video.readyState >= 2 && !document.hidden && opts.ready();
          var work = ready ? detector.detect(opts.video).then(function (found) {
            for (var i = 0; i < found.length; i += 1) {
              if (found[i].rawValue) { opts.onText(found[i].rawValue); break; }
            }
          }).catch(function () { /* a frame it could not read */ }) : Promise.resolve();
          work.then(function () { setTimeout(tick, 120); });
        }
        tick();
      });
    }).catch(function () { opts.onCamera(false); });
  }

  window.WusheCamera = { start: start, feedback: feedback, unlockAudio: unlockAudio };
})();
