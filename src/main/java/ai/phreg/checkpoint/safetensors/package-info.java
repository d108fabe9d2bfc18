/**
 * Reads and writes the safetensors checkpoint format without DJL or Spring.
 * <p>
 * Real checkpoints are BF16/F16 and several gigabytes. DJL's own decoder crashes on BF16,
 * uses {@code int} offsets and copies whole files through the heap, so this package
 * memory-maps tensor regions with {@code long} offsets, validates the header completely
 * before any data is touched, and keeps {@code __metadata__}.
 */
package ai.phreg.checkpoint.safetensors;
