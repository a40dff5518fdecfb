// Plotly, loaded the first time a chart is drawn (4.5 MB: no other view pays for it),
// from this server: the copy the plotly Python package ships, never a CDN.

let loading = null;

export function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = document.querySelector('meta[name="swarmscope-plotly"]').content;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error("Plotly could not be loaded from this server"));
    };
    document.head.append(script);
  });
  return loading;
}
