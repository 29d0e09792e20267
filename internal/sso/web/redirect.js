// Sends the browser on to the app's own address (the link stays for browsers that ask first).
'use strict';
(function () {
  const a = document.getElementById('continue');
  if (a) location.assign(a.href);
})();
