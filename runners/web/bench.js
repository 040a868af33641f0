// benchwh web runner page: runs one ONNX model with onnxruntime-web and times each run.
// Driven by benchwh (Playwright): `await window.benchwhRun(cfg)` returns plain JSON.
"use strict";

function tensorOf(t) {
  if (t.type === "int64") return new ort.Tensor("int64", BigInt64Array.from(t.data, (v) => BigInt(v)), t.dims);
  if (t.type === "int32") return new ort.Tensor("int32", Int32Array.from(t.data), t.dims);
  if (t.type === "bool") return new ort.Tensor("bool", Uint8Array.from(t.data), t.dims);
  return new ort.Tensor("float32", Float32Array.from(t.data), t.dims);
}

async function probeBackend(backend, out) {
  // What the browser itself says about the backend, before onnxruntime-web is asked for it.
  if (backend === "webgpu") {
    if (!("gpu" in navigator)) throw new Error("navigator.gpu is undefined: this browser offers no WebGPU");
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error("navigator.gpu.requestAdapter() returned null: no WebGPU adapter is available");
    let info = adapter.info;
    if (!info && adapter.requestAdapterInfo) info = await adapter.requestAdapterInfo();
    info = info || {};
    out.adapter = {
      vendor: info.vendor || "", architecture: info.architecture || "", device: info.device || "",
      description: info.description || "",
      is_fallback_adapter: Boolean(adapter.isFallbackAdapter || info.isFallbackAdapter),
    };
  } else if (backend === "webnn") {
    if (!("ml" in navigator)) throw new Error("navigator.ml is undefined: this browser offers no WebNN");
    await navigator.ml.createContext({ deviceType: "cpu" });
  }
}

window.benchwhRun = async function (cfg) {
  const out = { user_agent: navigator.userAgent, backend: cfg.backend, cross_origin_isolated: self.crossOriginIsolated };
  try {
    await probeBackend(cfg.backend, out);
    ort.env.wasm.wasmPaths = cfg.wasm_paths;
    ort.env.wasm.numThreads = cfg.threads;
    ort.env.logLevel = "error";
    const ep = cfg.backend === "webnn" ? { name: "webnn", deviceType: "cpu" } : cfg.backend;
    const t0 = performance.now();
    // Only the asked-for provider: a backend the browser cannot give fails here, never
    // silently runs on wasm under another name.
    const session = await ort.InferenceSession.create(cfg.model_url, { executionProviders: [ep] });
    out.load_ms = performance.now() - t0;
    const feeds = {};
    for (const [name, t] of Object.entries(cfg.inputs)) feeds[name] = tensorOf(t);
    const first = await session.run(feeds);
    out.outputs = session.outputNames.map((n) => ({ name: n, dims: Array.from(first[n].dims), data: Array.from(first[n].data, Number) }));
    for (let i = 0; i < cfg.warmup; i++) await session.run(feeds);
    const samples = [];
    for (let i = 0; i < cfg.iterations; i++) {
      const s = performance.now();
      await session.run(feeds);
      samples.push(performance.now() - s);
    }
    out.samples_ms = samples;
    out.execution_provider = typeof ep === "string" ? ep : ep.name;
    out.ort_version = ort.env.versions ? (ort.env.versions.web || ort.env.versions.common) : null;
    out.wasm_threads = ort.env.wasm.numThreads;
    await session.release();
  } catch (e) {
    out.error = String((e && e.message) || e);
  }
  return out;
};
