// SPDX-License-Identifier: MIT
/*
 * host-ref: the host-side references of make bench, measured natively on
 * the machine that runs QEMU: memcpy of 64 MiB, OpenBLAS sgemm at 1024^3
 * (and the sizes of the latency curve), and conv2d as im2col + sgemm for
 * the shapes vnpu-bench uses. OpenBLAS uses its default thread count (the
 * host's cores), as the device engine's OpenBLAS does inside QEMU.
 *
 * Prints "R <name> <value> <unit>" and "C <curve> <x> <y>" lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void fill(float *p, size_t n)
{
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (float)(x >> 16) / 65536.0f - 0.5f;
	}
}

static double t_gemm(int n, float *a, float *b, float *c, int reps)
{
	double best = 1e30;
	int i;

	for (i = 0; i < reps; i++) {
		double t0 = now_us(), t;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
			    1.0f, a, n, b, n, 0.0f, c, n);
		t = now_us() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

/* conv2d NHWC, weights [OC][KH][KW][C]: im2col then one sgemm. */
static double t_conv(const char *name, int h, int w, int c, int oc, int k,
		     int s, int pad)
{
	int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
	size_t kk = (size_t)k * k * c, np = (size_t)oh * ow;
	float *in = malloc(sizeof(float) * h * w * c);
	float *wt = malloc(sizeof(float) * oc * kk);
	float *col = malloc(sizeof(float) * np * kk);
	float *out = malloc(sizeof(float) * np * oc);
	double best = 1e30;
	int r;

	fill(in, (size_t)h * w * c);
	fill(wt, oc * kk);
	for (r = 0; r < 5; r++) {
		double t0 = now_us(), t;
		int y, x, ky, kx;

		for (y = 0; y < oh; y++)
			for (x = 0; x < ow; x++) {
				float *dst = col + ((size_t)y * ow + x) * kk;

				for (ky = 0; ky < k; ky++)
					for (kx = 0; kx < k; kx++, dst += c) {
						int iy = y * s - pad + ky;
						int ix = x * s - pad + kx;

						if (iy < 0 || iy >= h || ix < 0 || ix >= w)
							memset(dst, 0, sizeof(float) * c);
						else
							memcpy(dst, in + ((size_t)iy * w + ix) * c,
							       sizeof(float) * c);
					}
			}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, np, oc, kk,
			    1.0f, col, kk, wt, kk, 0.0f, out, oc);
		t = now_us() - t0;
		if (t < best)
			best = t;
	}
	printf("R host_conv_%s %.1f us\n", name, best);
	free(in);
	free(wt);
	free(col);
	free(out);
	return best;
}

int main(void)
{
	size_t big = 64u << 20;
	char *s = malloc(big), *d = malloc(big);
	float *a, *b, *c;
	double best = 1e30;
	int i, n;

	memset(s, 0x5a, big);
	memset(d, 0, big);
	for (i = 0; i < 5; i++) {
		double t0 = now_us(), t;

		memcpy(d, s, big);
		t = now_us() - t0;
		if (t < best)
			best = t;
	}
	printf("R host_memcpy64m %.1f us\n", best);
	free(s);
	free(d);

	a = malloc(sizeof(float) * 1024 * 1024);
	b = malloc(sizeof(float) * 1024 * 1024);
	c = malloc(sizeof(float) * 1024 * 1024);
	fill(a, 1024 * 1024);
	fill(b, 1024 * 1024);
	t_gemm(256, a, b, c, 2);	/* warm the thread pool */
	for (n = 64; n <= 1024; n *= 2)
		printf("C host_gemm_us_vs_macs %llu %.1f\n",
		       (unsigned long long)n * n * n, t_gemm(n, a, b, c, 5));
	printf("R host_sgemm1024 %.1f us\n", t_gemm(1024, a, b, c, 5));
	printf("R host_threads %d threads\n", openblas_get_num_threads());
	free(a);
	free(b);
	free(c);

	/* keep in step with convs[] in vnpu-bench.c */
	t_conv("mnv1_pw_56x56x128", 56, 56, 128, 128, 1, 1, 0);
	t_conv("mnv1_conv0_224x224x3", 224, 224, 3, 32, 3, 2, 1);
	return 0;
}
