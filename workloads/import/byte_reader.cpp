// DESCRIPTION: Byte sources (memory, file by offset) and the bounds-checked little-endian reader.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/byte_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

/// Header reads go through a window of this size, so a file header with a 150k-token vocabulary
/// costs a few hundred file reads, not millions.
constexpr std::uint64_t kWindowBytes = 1 << 16;

}  // namespace

std::string offset_where(std::string_view source_name, std::uint64_t offset) {
  return fmt::format("{}:offset {}", source_name, offset);
}

void throw_at(std::string_view source_name, std::uint64_t offset, std::string_view field,
              std::string message) {
  throw ConfigError(
      Diagnostic{offset_where(source_name, offset), std::string(field), std::move(message)});
}

void ByteSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out,
                         std::string_view field) const {
  const std::uint64_t n = out.size();
  if (offset > size() || n > size() - offset) {
    throw_at(name(), offset, field,
             fmt::format("truncated (need {} bytes at offset {}, file has {})", n, offset, size()));
  }
  if (n != 0 && !read_unchecked(offset, out)) {
    throw_at(name(), offset, field, fmt::format("I/O error reading {} bytes", n));
  }
}

bool MemorySource::read_unchecked(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
  return true;
}

std::shared_ptr<FileSource> FileSource::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(Diagnostic{path, "", "cannot open file for reading"});
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) throw ConfigError(Diagnostic{path, "", "cannot determine the file size"});
  in.seekg(0, std::ios::beg);
  return std::shared_ptr<FileSource>(
      new FileSource(path, std::move(in), static_cast<std::uint64_t>(end)));
}

bool FileSource::read_unchecked(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::lock_guard<std::mutex> lock(mu_);
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset), std::ios::beg);
  in_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  return in_.gcount() == static_cast<std::streamsize>(out.size());
}

ByteReader::ByteReader(const ByteSource& src, std::uint64_t offset)
    : src_(&src), view_(src.view()), size_(src.size()), offset_(std::min(offset, src.size())) {}

void ByteReader::seek(std::uint64_t offset, std::string_view field) {
  if (offset > size_) {
    fail_at(offset, field,
            fmt::format("offset {} lies beyond the end of the file ({} bytes)", offset, size_));
  }
  offset_ = offset;
}

void ByteReader::refill(std::uint64_t n) {
  // Callers checked n <= remaining(), so the window never extends past the end of the source.
  const std::uint64_t len = std::min(std::max(n, kWindowBytes), remaining());
  buf_.resize(static_cast<std::size_t>(len));
  buf_start_ = offset_;
  src_->read_at(offset_, buf_, "header");
}

void ByteReader::fail(std::string_view field, std::string message) const {
  fail_at(offset_, field, std::move(message));
}

void ByteReader::fail_at(std::uint64_t offset, std::string_view field, std::string message) const {
  throw_at(src_->name(), offset, field, std::move(message));
}

void ByteReader::fail_truncated(std::uint64_t n, const std::string& field) const {
  fail(field,
       fmt::format("truncated (need {} bytes at offset {}, file has {})", n, offset_, size_));
}

void ByteReader::fail_count(std::uint64_t count, std::uint64_t each,
                            const std::string& field) const {
  fail(field, fmt::format("count {} needs at least {} bytes each but only {} bytes remain", count,
                          each, remaining()));
}

}  // namespace mpsim::workload
