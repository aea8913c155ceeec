// Loaded before Bootstrap Italia's bundle: its video player (video.js) would otherwise inject
// an inline <style> element, which the Content-Security-Policy (style-src 'self') blocks.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
