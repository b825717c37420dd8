// Autocomplete, as an enhancement: without JavaScript the form works as is.
(function () {
  var box = document.getElementById('q'), list = document.getElementById('suggestions'), timer;
  if (!box || !list || !window.fetch) return;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!box.value.trim()) return;
      fetch('/suggest?size=8&q=' + encodeURIComponent(box.value)).then(function (r) { return r.json(); })
        .then(function (data) {
          list.textContent = '';
          (data.suggestions || []).forEach(function (s) {
            var option = document.createElement('option');
            option.value = s.text;
            list.appendChild(option);
          });
        }).catch(function () {});
    }, 120);
  });
})();
