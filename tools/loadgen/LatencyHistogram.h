// LatencyHistogram: round-trip times in bounded memory, for percentiles over millions of samples.
//
// Log-linear buckets, the idea of HdrHistogram (Gil Tene): below 128 ns every nanosecond has its
// own bucket; above, each power of two is cut into 128 equal buckets, so a bucket is never wider
// than 1/128 of its lower edge and a reported percentile is within 0.4% of a recorded value.
// Memory is fixed (about 58 KiB) whatever the number of samples or the run's length.
// Thread safety: none; each client thread records into its own histogram and the main thread
// merges them after joining the threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loadgen {

/// A histogram of durations in nanoseconds with sub-percent precision.
class LatencyHistogram {
 public:
  /// An empty histogram.
  LatencyHistogram();

  /// Adds one sample of `ns` nanoseconds. Cost: a count-leading-zeros, a shift, an increment.
  void record(uint64_t ns);
  /// Adds every sample of `other` to this histogram.
  void merge(const LatencyHistogram& other);

  /// The number of samples recorded.
  uint64_t count() const { return count_; }
  /// The largest sample (exact), 0 when empty.
  uint64_t maxNs() const { return max_; }
  /// The arithmetic mean (exact), 0 when empty.
  double meanNs() const;
  /// The smallest value v such that at least `fraction` (0..1] of the samples are <= v, to the
  /// bucket's precision (the bucket's midpoint, capped at the maximum). 0 when empty.
  double percentileNs(double fraction) const;

 private:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;

  static size_t bucketOf(uint64_t ns);
  static double midpointOf(size_t bucket);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace loadgen
