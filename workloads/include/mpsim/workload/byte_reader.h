// DESCRIPTION: Random-access byte sources (a file read by offset on demand, or bytes in memory)
// and a bounds-checked little-endian reader whose every failure names the field and the offset.
// SPDX-License-Identifier: Apache-2.0
//
// Model files can be many GB, so parsers read their headers through a ByteReader (a small
// buffered window over the source) and fetch tensor data later with ByteSource::read_at().
//
// Example:
//   auto src = FileSource::open("model.gguf");            // or MemorySource(bytes, "<mem>")
//   ByteReader r(*src);
//   std::uint32_t magic = r.read<std::uint32_t>("header.magic");
//   std::uint64_t n = r.read<std::uint64_t>("header.tensor_count");
//   r.check_count(n, 24, "header.tensor_count");  // throws unless n * 24 bytes remain
//
// Every failure throws ConfigError with one Diagnostic: where = "<source name>:offset N" (the
// offset of the field being read), field = the caller's field name, message = what is wrong.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mpsim::workload {

static_assert(std::endian::native == std::endian::little,
              "mpsim's binary importers assume a little-endian host");

/// Random-access, read-only bytes with a name for diagnostics. Thread-safe reads.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Total size in bytes.
  virtual std::uint64_t size() const = 0;
  /// Name used in diagnostics (the file path, or "<memory>").
  virtual const std::string& name() const = 0;
  /// The whole content when it is in memory (lets readers skip copying); empty for files.
  virtual std::span<const std::uint8_t> view() const { return {}; }
  /// Copies out.size() bytes starting at `offset`. Throws ConfigError naming `field` when the
  /// range does not lie inside the source or the underlying read fails.
  void read_at(std::uint64_t offset, std::span<std::uint8_t> out, std::string_view field) const;

 protected:
  /// Copies an in-bounds range (read_at() has already checked the bounds).
  virtual bool read_unchecked(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
};

/// Bytes owned in memory (tests, small files, generated files).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::vector<std::uint8_t> bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  const std::string& name() const override { return name_; }
  std::span<const std::uint8_t> view() const override { return bytes_; }

 protected:
  bool read_unchecked(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  std::vector<std::uint8_t> bytes_;
  std::string name_;
};

/// A file on disk, read by offset on demand (never loaded whole).
class FileSource final : public ByteSource {
 public:
  /// Opens `path` for reading; throws ConfigError if it cannot be opened.
  static std::shared_ptr<FileSource> open(const std::string& path);
  std::uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }

 protected:
  bool read_unchecked(std::uint64_t offset, std::span<std::uint8_t> out) const override;

 private:
  FileSource(std::string path, std::ifstream in, std::uint64_t size)
      : path_(std::move(path)), in_(std::move(in)), size_(size) {}
  std::string path_;
  mutable std::ifstream in_;  // seek + read is one critical section, hence the mutex
  mutable std::mutex mu_;
  std::uint64_t size_ = 0;
};

/// Formats the Diagnostic `where` of a byte offset: "<name>:offset N".
std::string offset_where(std::string_view source_name, std::uint64_t offset);

/// Throws ConfigError{where = offset_where(source, offset), field, message}.
[[noreturn]] void throw_at(std::string_view source_name, std::uint64_t offset,
                           std::string_view field, std::string message);

/// A cursor over a ByteSource that reads little-endian scalars and byte strings, each checked
/// against the end of the source. Field names may be strings or callables returning a string,
/// so that names like "metadata[3].value[1207]" are only built when a read fails.
class ByteReader {
 public:
  explicit ByteReader(const ByteSource& src, std::uint64_t offset = 0);

  /// Absolute offset of the next read.
  std::uint64_t offset() const { return offset_; }
  /// Size of the whole source.
  std::uint64_t size() const { return size_; }
  /// Bytes left after the cursor.
  std::uint64_t remaining() const { return size_ - offset_; }
  /// The source's name, for diagnostics.
  const std::string& source_name() const { return src_->name(); }

  /// Reads one little-endian arithmetic value of type T.
  template <class T, class Name>
  T read(const Name& field) {
    static_assert(std::is_arithmetic_v<T>);
    T v;
    std::memcpy(&v, take(sizeof(T), field), sizeof(T));
    return v;
  }
  /// Reads `n` bytes as a string (checked against the remaining bytes before allocating).
  template <class Name>
  std::string read_string(std::uint64_t n, const Name& field) {
    if (n == 0) return {};
    const std::uint8_t* p = take(n, field);
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  /// Advances by `n` bytes (checked).
  template <class Name>
  void skip(std::uint64_t n, const Name& field) {
    if (n > remaining()) fail_truncated(n, name_of(field));
    offset_ += n;
  }
  /// Moves the cursor to an absolute offset (checked: at most size()).
  void seek(std::uint64_t offset, std::string_view field);

  /// Throws unless `count` items of at least `min_bytes_each` bytes fit in the remaining bytes,
  /// so that no container is ever sized from an untrusted count the file cannot back.
  template <class Name>
  void check_count(std::uint64_t count, std::uint64_t min_bytes_each, const Name& field) const {
    if (min_bytes_each != 0 && count > remaining() / min_bytes_each) {
      fail_count(count, min_bytes_each, name_of(field));
    }
  }

  /// Throws ConfigError for `field` at the current offset.
  [[noreturn]] void fail(std::string_view field, std::string message) const;
  /// Throws ConfigError for `field` at an absolute offset.
  [[noreturn]] void fail_at(std::uint64_t offset, std::string_view field,
                            std::string message) const;

 private:
  template <class Name>
  static std::string name_of(const Name& field) {
    if constexpr (std::is_invocable_v<const Name&>) {
      return std::string(field());
    } else {
      return std::string(std::string_view(field));
    }
  }
  /// Returns a pointer to `n` readable bytes at the cursor and advances past them.
  template <class Name>
  const std::uint8_t* take(std::uint64_t n, const Name& field) {
    if (n > remaining()) fail_truncated(n, name_of(field));
    const std::uint8_t* p = nullptr;
    if (!view_.empty()) {
      p = view_.data() + offset_;
    } else {
      if (offset_ < buf_start_ || offset_ + n > buf_start_ + buf_.size()) refill(n);
      p = buf_.data() + (offset_ - buf_start_);
    }
    offset_ += n;
    return p;
  }
  void refill(std::uint64_t n);
  [[noreturn]] void fail_truncated(std::uint64_t n, const std::string& field) const;
  [[noreturn]] void fail_count(std::uint64_t count, std::uint64_t each,
                               const std::string& field) const;

  const ByteSource* src_;
  std::span<const std::uint8_t> view_;
  std::uint64_t size_ = 0;
  std::uint64_t offset_ = 0;
  std::vector<std::uint8_t> buf_;  // window [buf_start_, buf_start_ + buf_.size()) of a file
  std::uint64_t buf_start_ = 0;
};

}  // namespace mpsim::workload
