#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// ONNX Runtime (CPU, onnxruntime-node) reference outputs for the vnpu
// model tests.
//
//   ort_ref.js MODEL.onnx INPUT.npy OUTPUT.npy
//
// Runs the model's single input on the whole .npy array (float32, C
// order) and writes its first output as a float32 .npy file.
'use strict';
const fs = require('fs');
const path = require('path');

const ortDir = process.env.ORT_DIR;
const ort = require(ortDir ? path.resolve(ortDir, 'node_modules', 'onnxruntime-node')
			   : 'onnxruntime-node');

function readNpy(file) {
	const b = fs.readFileSync(file);
	if (b.toString('latin1', 0, 6) !== '\x93NUMPY')
		throw new Error(`${file}: not a .npy file`);
	const major = b[6];
	const hlen = major >= 2 ? b.readUInt32LE(8) : b.readUInt16LE(8);
	const hoff = major >= 2 ? 12 : 10;
	const hdr = b.toString('latin1', hoff, hoff + hlen);
	const descr = /'descr':\s*'([^']+)'/.exec(hdr)[1];
	const fortran = /'fortran_order':\s*True/.test(hdr);
	const shape = /'shape':\s*\(([^)]*)\)/.exec(hdr)[1]
		.split(',').map(s => s.trim()).filter(s => s.length).map(Number);
	if (descr !== '<f4' || fortran)
		throw new Error(`${file}: need little-endian float32 in C order, got ${descr}`);
	const off = hoff + hlen;
	const n = shape.reduce((a, v) => a * v, 1);
	const data = new Float32Array(n);
	for (let i = 0; i < n; i++)
		data[i] = b.readFloatLE(off + 4 * i);
	return { shape, data };
}

function writeNpy(file, dims, data) {
	const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
	let hdr = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
	const total = 10 + hdr.length + 1;
	hdr += ' '.repeat((64 - (total % 64)) % 64) + '\n';
	const head = Buffer.alloc(10);
	head.write('\x93NUMPY', 0, 'latin1');
	head[6] = 1; head[7] = 0;
	head.writeUInt16LE(hdr.length, 8);
	const body = Buffer.alloc(4 * data.length);
	for (let i = 0; i < data.length; i++)
		body.writeFloatLE(data[i], 4 * i);
	fs.writeFileSync(file, Buffer.concat([head, Buffer.from(hdr, 'latin1'), body]));
}

async function main() {
	const [model, input, output] = process.argv.slice(2);
	if (!output) {
		console.error('usage: ort_ref.js MODEL.onnx INPUT.npy OUTPUT.npy');
		process.exit(2);
	}
	const sess = await ort.InferenceSession.create(model, {
		executionProviders: ['cpu'], graphOptimizationLevel: 'disabled',
		intraOpNumThreads: 1,
	});
	const x = readNpy(input);
	const feeds = {};
	feeds[sess.inputNames[0]] = new ort.Tensor('float32', x.data, x.shape);
	const res = await sess.run(feeds);
	const y = res[sess.outputNames[0]];
	writeNpy(output, y.dims, y.data);
	console.log(`ort: ${path.basename(model)} ${JSON.stringify(x.shape)} -> ` +
		    `${JSON.stringify(y.dims)} (onnxruntime-node ${ort.env.versions.node})`);
}

main().catch(e => { console.error(`ort_ref: ${e.message}`); process.exit(1); });
