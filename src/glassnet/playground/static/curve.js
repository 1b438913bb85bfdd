// A regression's picture (the sine set): the examples as points (x, y) and the network's fitted
// curve over x, in place of the decision surface. The curve comes from the server (state.curve:
// the model's output at evenly spaced x); nothing is computed here.
"use strict";

const Curve = (() => {
  const INK = "#1d232a", MUTED = "#5b6673", POINT = "rgb(43,123,185)";

  function draw(canvas, state, data) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height, left = 34, bottom = 22;
    ctx.clearRect(0, 0, W, H);
    const curve = state.curve;
    const [xlo, xhi] = curve.extent, [ylo, yhi] = curve.y_extent;
    const px = (x) => left + ((x - xlo) / (xhi - xlo)) * (W - left - 6);
    const py = (y) => 6 + (1 - (y - ylo) / (yhi - ylo)) * (H - bottom - 6);
    // axes: y = 0 and x = 0 where they fall inside, and the frame's ticks
    ctx.strokeStyle = "#dde2e8"; ctx.lineWidth = 1; ctx.beginPath();
    ctx.moveTo(left, 6); ctx.lineTo(left, H - bottom); ctx.lineTo(W - 6, H - bottom);
    if (ylo < 0 && yhi > 0) { ctx.moveTo(left, py(0)); ctx.lineTo(W - 6, py(0)); }
    if (xlo < 0 && xhi > 0) { ctx.moveTo(px(0), 6); ctx.lineTo(px(0), H - bottom); }
    ctx.stroke();
    ctx.fillStyle = MUTED; ctx.font = "10px system-ui";
    ctx.fillText(yhi.toPrecision(2), 2, 14); ctx.fillText(ylo.toPrecision(2), 2, H - bottom);
    ctx.fillText(xlo.toPrecision(2), left, H - 8); ctx.fillText(xhi.toPrecision(2), W - 34, H - 8);
    ctx.fillText("x", (W + left) / 2, H - 8); ctx.fillText("y", 4, H / 2);
    const points = (xs, ys, hollow) => xs.forEach((x, n) => {
      ctx.beginPath();
      ctx.arc(px(x[0]), py(ys[n]), 3, 0, 2 * Math.PI);
      if (hollow) { ctx.fillStyle = "#fff"; ctx.fill(); ctx.lineWidth = 1.5; ctx.strokeStyle = POINT; ctx.stroke(); }
      else { ctx.fillStyle = POINT; ctx.fill(); }
    });
    points(data.x_train, data.y_train, false);
    points(data.x_test, data.y_test, true);
    ctx.strokeStyle = INK; ctx.lineWidth = 2; ctx.beginPath();
    curve.x.forEach((x, n) => {
      const y = Math.max(ylo, Math.min(yhi, curve.y[n] ?? 0));  // a diverging fit stays in frame
      if (n) ctx.lineTo(px(x), py(y)); else ctx.moveTo(px(x), py(y));
    });
    ctx.stroke();
  }

  return { draw };
})();
