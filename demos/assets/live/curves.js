// The playground's curves for one metric (props.metric). Each update sends only what changed:
// {seq, epoch, train, val, best, epochs}, the new epochs of this run; the first update of a run (and
// the last) has reset: true, the whole run so far and `earlier`, the kept runs' curves (1 run ago first).
const canvas = element.querySelector("canvas");
const legend = element.querySelector(".legend");
const box = element.querySelector(".live-curves");
let run = { epoch: [], train: [], val: [] }, earlier = [], best = null, epochs = 1;

function take(value) {
  if (!value || value.seq === undefined) { run = { epoch: [], train: [], val: [] }; earlier = []; best = null; return; }
  if (value.reset) { run = { epoch: [], train: [], val: [] }; earlier = value.earlier || []; }
  run.epoch.push(...value.epoch); run.train.push(...value.train); run.val.push(...value.val);
  best = value.best ?? best; epochs = value.epochs || epochs;
}

function draw() {
  const series = [], keys = [];
  const runs = [run, ...earlier];  // age 0 = this run
  runs.forEach((r, age) => {
    if (!r.epoch.length) return;
    for (const [split, colours, words] of [["train", props.train_colours, "train"], ["val", props.val_colours, "validation"]]) {
      if (!r[split].some((v) => v !== null)) continue;
      series.push({ x: r.epoch, y: r[split], colour: colours[age], width: age ? 1.5 : 2.5 });
      keys.push([colours[age], `${props.slots[age]} · ${words}`]);
    }
  });
  series.reverse();  // older runs underneath
  const xMax = Math.max(epochs, ...runs.map((r) => r.epoch[r.epoch.length - 1] || 0));
  const marker = props.metric === "loss" && best && run.epoch.length ? { x: best, colour: props.marker_colour, text: props.marker_text } : null;
  if (marker) keys.push([props.marker_colour, props.marker_text, true]);
  const range = props.metric === "accuracy" ? { yMin: 0, yMax: 1 } : {};
  lineChart(canvas, { series, xMax, xLabel: "epoch", marker, ...range });
  legend.innerHTML = series.length ? legendHtml(keys) : props.empty;
  box.dataset.points = String(run.epoch.length);  // epochs drawn for this run: read by the browser tests
}

watch("value", () => { take(props.value); draw(); });
take(props.value);
draw();
