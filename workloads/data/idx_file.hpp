// SPDX-License-Identifier: BSD-3-Clause
// The IDX format of the MNIST family of data sets (docs/WORKLOADS.md "Fashion-MNIST"): a magic
// number naming the element type and the number of dimensions, the dimensions as big-endian
// 32-bit sizes, then the elements. Only unsigned bytes (type 0x08) are read: images and labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace jouletrace::workload {

// Bad input data: the message names the file and what is wrong with it.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // row-major, the product of dims elements
};

// Decodes the bytes of an IDX file; `name` is the file named in errors. Throws DataError on a
// wrong magic number, an element type other than unsigned byte, a dimension count other than
// `expected_dims`, a zero dimension, or data shorter or longer than the dimensions announce.
IdxArray parse_idx(std::span<const std::uint8_t> bytes, std::size_t expected_dims,
                   const std::string& name);

// Reads a gzip-compressed (or plain) IDX file with zlib, then parse_idx. A missing file or a
// damaged or truncated gzip stream is a DataError naming the file.
IdxArray read_idx_file(const std::filesystem::path& path, std::size_t expected_dims);

}  // namespace jouletrace::workload
