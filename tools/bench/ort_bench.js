#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// ONNX Runtime (onnxruntime-node, CPU) latency references for make bench.
//
//   ort_bench.js THREADS NAME:MODEL.onnx:BATCH:RUNS ...
//
// Each model is fed a deterministic float32 input of its input shape with
// the batch (first) dimension set to BATCH; RUNS > 1 times RUNS runs back
// to back (for models with a fixed batch of 1). Prints "R ort_NAME <median
// us> us" for each, after warm-up, with the default graph optimisations.
'use strict';
const path = require('path');

const ortDir = process.env.ORT_DIR;
const ort = require(ortDir ? path.resolve(ortDir, 'node_modules', 'onnxruntime-node')
			   : 'onnxruntime-node');

async function bench(threads, spec) {
	const [name, model, batchS, runsS] = spec.split(':');
	const batch = Number(batchS), runs = Number(runsS || 1);
	const sess = await ort.InferenceSession.create(model, {
		executionProviders: ['cpu'], intraOpNumThreads: threads,
		interOpNumThreads: 1,
	});
	const meta = sess.inputMetadata ? sess.inputMetadata[0] : null;
	let shape = meta && meta.shape ? meta.shape.slice() : null;
	if (!shape)
		throw new Error(`${model}: no input shape`);
	shape = shape.map((d, i) => (i === 0 ? batch : (typeof d === 'number' ? d : 1)));
	const n = shape.reduce((a, v) => a * v, 1);
	const data = new Float32Array(n);
	for (let i = 0; i < n; i++)
		data[i] = ((i * 37) % 17) / 17;
	const feeds = {};
	feeds[sess.inputNames[0]] = new ort.Tensor('float32', data, shape);
	for (let i = 0; i < 5; i++)
		await sess.run(feeds);
	const v = [];
	for (let i = 0; i < 30; i++) {
		const t0 = process.hrtime.bigint();
		for (let j = 0; j < runs; j++)
			await sess.run(feeds);
		v.push(Number(process.hrtime.bigint() - t0) / 1e3);
	}
	v.sort((a, b) => a - b);
	console.log(`R ort_${name} ${v[Math.floor(v.length / 2)].toFixed(1)} us`);
}

async function main() {
	const threads = Number(process.argv[2]);
	for (const spec of process.argv.slice(3)) {
		try {
			await bench(threads, spec);
		} catch (e) {
			console.log(`I skip ort ${spec}: ${e.message}`);
		}
	}
}

main();
