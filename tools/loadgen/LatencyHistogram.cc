#include "LatencyHistogram.h"

#include <algorithm>
#include <cmath>

namespace loadgen {

namespace {

// Buckets 0..127 hold the values 0..127 exactly; then 128 buckets for each exponent 0..56
// (values up to 2^64 - 1).
constexpr size_t kBucketCount = 128 + (64 - 7) * 128;

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

size_t LatencyHistogram::bucketOf(uint64_t ns) {
  if (ns < kSubBuckets) return static_cast<size_t>(ns);
  int msb = 63 - __builtin_clzll(ns);
  int exponent = msb - kSubBucketBits;  // >= 0: how far the value is scaled down
  uint64_t mantissa = ns >> exponent;   // in [128, 255]
  return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(exponent) * kSubBuckets +
                             (mantissa - kSubBuckets));
}

double LatencyHistogram::midpointOf(size_t bucket) {
  if (bucket < kSubBuckets) return static_cast<double>(bucket);
  size_t exponent = (bucket - kSubBuckets) / kSubBuckets;
  uint64_t mantissa = kSubBuckets + (bucket - kSubBuckets) % kSubBuckets;
  double lower = std::ldexp(static_cast<double>(mantissa), static_cast<int>(exponent));
  double width = std::ldexp(1.0, static_cast<int>(exponent));
  return lower + width / 2;
}

void LatencyHistogram::record(uint64_t ns) {
  ++buckets_[bucketOf(ns)];
  ++count_;
  max_ = std::max(max_, ns);
  sum_ += ns;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::meanNs() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

double LatencyHistogram::percentileNs(double fraction) const {
  if (count_ == 0) return 0.0;
  // The rank of the wanted sample, 1-based: p50 of 4 samples is the 2nd, p99 of 100 the 99th.
  auto rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(midpointOf(i), static_cast<double>(max_));
  }
  return static_cast<double>(max_);
}

}  // namespace loadgen
