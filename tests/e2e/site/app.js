// Sets document.title to ALL-LOADED once the page's load event (the style
// sheet, this script, the image), the video's loadeddata and a Range fetch
// have all happened and each resource checks out; to FAILED: … as soon as
// one fails. browser.sh reads the title from the dumped DOM.
'use strict';

const waiting = new Set(['load', 'loadeddata', 'range']);
const failures = [];
const video = document.getElementById('clip');
const pic = document.getElementById('pic');

function finish() {
  if (failures.length === 0 && waiting.size === 0) {
    const bg = getComputedStyle(document.body).backgroundColor;
    if (bg !== 'rgb(1, 2, 3)') failures.push('style.css not applied: ' + bg);
    if (pic.naturalWidth !== 8) failures.push('image width ' + pic.naturalWidth);
    if (video.videoWidth !== 64) failures.push('clip.webm width ' + video.videoWidth);
    if (failures.length === 0) document.title = 'ALL-LOADED';
  }
  if (failures.length > 0) document.title = 'FAILED: ' + failures.join('; ');
  const left = [...waiting].join(', ') || 'nothing';
  document.getElementById('status').textContent = document.title + ' (waiting for ' + left + ')';
}

function arrived(what) {
  waiting.delete(what);
  finish();
}

function failed(what) {
  failures.push(what);
  finish();
}

window.addEventListener('load', () => arrived('load'));
video.addEventListener('loadeddata', () => arrived('loadeddata'));
video.addEventListener('error', () => failed('clip.webm: media error ' + (video.error && video.error.code)));
pic.addEventListener('error', () => failed('image did not load'));
if (video.readyState >= 2) arrived('loadeddata');

// Ten bytes from the middle of data.bin, which browser.sh wrote as the
// bytes 0, 1, …, 255 repeated.
fetch('data.bin', { headers: { Range: 'bytes=1000-1009' } })
  .then(async (resp) => {
    const bytes = [...new Uint8Array(await resp.arrayBuffer())];
    const want = Array.from({ length: 10 }, (_, i) => (1000 + i) % 256);
    if (resp.status !== 206) failed('range fetch: status ' + resp.status);
    else if (resp.headers.get('Content-Range') !== 'bytes 1000-1009/4096') failed('range fetch: ' + resp.headers.get('Content-Range'));
    else if (bytes.join() !== want.join()) failed('range fetch: bytes ' + bytes.join());
    else arrived('range');
  })
  .catch((err) => failed('range fetch: ' + err));

finish();
