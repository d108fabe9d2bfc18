/*
 * libtorch's bundled oneMKL picks its matrix kernels by CPU vendor: on AMD processors it
 * takes its generic path even when the CPU has AVX2 and AVX-512. It asks
 * mkl_serv_intel_cpu_true() whether the CPU is Intel's, and libtorch_cpu.so exports that
 * function, so a preloaded library answering yes lets MKL choose kernels by the
 * instruction sets the CPU reports instead (it still checks them). Measured on an AMD
 * EPYC with AVX-512: about 30 % less CPU time for a phreg benchmark run (bench/README.md).
 * Harmless on Intel CPUs, where the answer is yes anyway.
 *
 * Built and used by scripts/mkl-intel-path.sh.
 */
int mkl_serv_intel_cpu_true(void) {
	return 1;
}
