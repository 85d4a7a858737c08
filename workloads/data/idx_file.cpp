// SPDX-License-Identifier: BSD-3-Clause
#include "data/idx_file.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <memory>

namespace jouletrace::workload {
namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;
constexpr std::size_t kHeaderPrefix = 4;  // two zero bytes, the type, the dimension count
// The largest array accepted: above the 47 MB of the largest MNIST-family file by far, and small
// enough that a damaged header cannot make us allocate the machine's memory.
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 32;

std::uint32_t big_endian_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
         (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

}  // namespace

IdxArray parse_idx(std::span<const std::uint8_t> bytes, std::size_t expected_dims,
                   const std::string& name) {
  if (bytes.size() < kHeaderPrefix)
    throw DataError(
        fmt::format("{}: not an IDX file: {} bytes, shorter than the 4-byte magic "
                    "number",
                    name, bytes.size()));
  if (bytes[0] != 0 || bytes[1] != 0)
    throw DataError(
        fmt::format("{}: not an IDX file: the magic number starts with {:#04x} {:#04x}"
                    ", not two zero bytes",
                    name, bytes[0], bytes[1]));
  if (bytes[2] != kUnsignedByteType)
    throw DataError(
        fmt::format("{}: IDX element type {:#04x}; only unsigned bytes (0x08) are "
                    "read",
                    name, bytes[2]));
  const std::size_t dim_count = bytes[3];
  if (dim_count != expected_dims)
    throw DataError(fmt::format("{}: {} dimensions in the IDX header, expected {}", name, dim_count,
                                expected_dims));
  const std::size_t header = kHeaderPrefix + 4 * dim_count;
  if (bytes.size() < header)
    throw DataError(fmt::format("{}: truncated IDX header: {} bytes, the {} dimensions need {}",
                                name, bytes.size(), dim_count, header));
  IdxArray array;
  std::uint64_t elements = 1;
  for (std::size_t d = 0; d < dim_count; ++d) {
    const std::uint32_t size = big_endian_u32(bytes, kHeaderPrefix + 4 * d);
    if (size == 0) throw DataError(fmt::format("{}: IDX dimension {} is 0", name, d));
    elements *= size;
    if (elements > kMaxElements)
      throw DataError(
          fmt::format("{}: IDX dimensions announce more than {} elements", name, kMaxElements));
    array.dims.push_back(size);
  }
  const std::size_t data_bytes = bytes.size() - header;
  if (data_bytes < elements)
    throw DataError(
        fmt::format("{}: truncated IDX data: the dimensions announce {} bytes, the "
                    "file has {}",
                    name, elements, data_bytes));
  if (data_bytes > elements)
    throw DataError(
        fmt::format("{}: {} bytes after the {} bytes of IDX data the dimensions "
                    "announce",
                    name, data_bytes - elements, elements));
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

IdxArray read_idx_file(const std::filesystem::path& path, std::size_t expected_dims) {
  const std::string name = path.string();
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(name.c_str(), "rb"));
  if (!file) throw DataError(fmt::format("{}: cannot open", name));
  std::vector<std::uint8_t> bytes;
  std::array<std::uint8_t, 1 << 16> chunk{};
  for (;;) {
    const int got = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = Z_OK;
      const char* message = gzerror(file.get(), &code);
      throw DataError(fmt::format("{}: cannot decompress: {}", name, message));
    }
    if (got == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
  }
  // gzread reports a stream cut short as a plain end of file; gzerror still has the reason.
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END)
    throw DataError(fmt::format("{}: cannot decompress: {}", name, message));
  return parse_idx(bytes, expected_dims, name);
}

}  // namespace jouletrace::workload
