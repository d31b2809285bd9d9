// The wire layout written around each streamed value (field numbers in
// brackets); everything else is protobuf's own serialization:
//
//   GraphDef.node[1] len
//     <NodeDef without its "value" attr>
//     NodeDef.attr[5] len
//       AttrEntry.key[1] "value"  AttrEntry.value[2] len
//         AttrValue.tensor[8] len
//           <TensorProto: dtype, shape>  TensorProto.tensor_content[4] len  <bytes from the checkpoint>
//   <GraphDef fields 2.. (library, versions)>
//
// Protobuf writes fields in number order, and a frozen Const has `value` as
// its last attr and nothing after field 5, so appending is exact.
#include "tfprod/graph_stream_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <google/protobuf/io/coded_stream.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "core/crc32c.h"
#include "tfprod/tf/framework/tensor.pb.h"
#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/model_file.h"

namespace tfprod {

namespace fs = std::filesystem;
using google::protobuf::io::CodedOutputStream;

namespace {

std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string tag(int field) { return varint(static_cast<uint64_t>(field) << 3 | 2); }  // length-delimited

class Fd {
 public:
  Fd(const fs::path& path, int flags, mode_t mode = 0) : path_(path), fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
    if (fd_ < 0) fail("{}: cannot open: {}", path.string(), std::strerror(errno));
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  const fs::path& path() const { return path_; }
  void close() {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("{}: write failed: {}", path_.string(), std::strerror(errno));
  }

 private:
  fs::path path_;
  int fd_;
};

// Buffered output with a raw copy from another file.
class Output {
 public:
  explicit Output(const fs::path& path) : fd_(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) {}

  void put(std::string_view bytes) {
    buffer_.append(bytes);
    if (buffer_.size() >= (1u << 20)) flush();
  }

  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_.get(), buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("{}: write failed: {}", fd_.path().string(), std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

  // Copies [offset, offset+size) of `src`, checking its crc32c on a second
  // thread as the kernel copies.
  void copy_from(const Fd& src, const StoredBytes& range, const std::string& node) {
    flush();
    uint32_t crc = 0;
    bool short_read = false;
    std::thread checker([&] {
      // Map the range (no copy into user memory) and checksum it in place.
      const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
      const uint64_t start = range.offset / page * page;
      const std::size_t length = static_cast<std::size_t>(range.offset - start + range.size);
      if (length == 0) return;
      void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, src.get(), static_cast<off_t>(start));
      if (map == MAP_FAILED) {
        short_read = true;
        return;
      }
      crc = crc32c::value(static_cast<const char*>(map) + (range.offset - start), static_cast<std::size_t>(range.size));
      ::munmap(map, length);
    });
    try {
      copy_range(src, range, node);
    } catch (...) {
      checker.join();
      throw;
    }
    checker.join();
    if (short_read || crc != range.crc32c)
      fail("{}: {}: crc32c mismatch (stored {:08x}, computed {:08x}): the data file is corrupt", range.file, node,
           range.crc32c, crc);
  }

  void close() {
    flush();
    fd_.close();
  }

 private:
  void copy_range(const Fd& src, const StoredBytes& range, const std::string& node) {
    loff_t in = static_cast<loff_t>(range.offset);
    uint64_t left = range.size;
    while (left > 0) {
      ssize_t n = ::copy_file_range(src.get(), &in, fd_.get(), nullptr, left, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        copy_by_hand(src, static_cast<uint64_t>(in), left, range, node);
        return;
      }
      if (n <= 0) fail("{}: {}: copy failed after {} of {} bytes", range.file, node, range.size - left, range.size);
      left -= static_cast<uint64_t>(n);
    }
  }

  void copy_by_hand(const Fd& src, uint64_t offset, uint64_t left, const StoredBytes& range, const std::string& node) {
    std::string chunk(std::min<uint64_t>(left, 4u << 20), '\0');
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(chunk.size(), left));
      ssize_t n = ::pread(src.get(), chunk.data(), want, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("{}: {}: short read", range.file, node);
      buffer_.assign(chunk.data(), static_cast<std::size_t>(n));
      flush();
      offset += static_cast<uint64_t>(n);
      left -= static_cast<uint64_t>(n);
    }
  }

  Fd fd_;
  std::string buffer_;
};

// The bytes of one node, split around the streamed value.
struct Framed {
  std::string node;
  std::string head;  // everything before the value bytes
  const StoredBytes* bytes = nullptr;
  uint64_t total = 0;  // head + value bytes
};

Framed frame_node(const tfprod::tf::NodeDef& node, const StoredBytes* stored) {
  Framed f;
  f.node = node.name();
  if (!stored) {
    std::string body = node.SerializeAsString();
    f.head = tag(1) + varint(body.size()) + body;
    f.total = f.head.size();
    return f;
  }
  const int last = node.attr_size() - 1;
  if (node.op() != "Const" || last < 0 || node.attr(last).key() != "value" || !node.attr(last).value().has_tensor() ||
      !node.attr(last).value().tensor().tensor_content().empty() || node.has_experimental_debug_info() ||
      node.has_experimental_type() || !node.GetReflection()->GetUnknownFields(node).empty())
    fail("internal error: node '{}' is not a streamable frozen Const", node.name());

  tfprod::tf::NodeDef without = node;
  without.mutable_attr()->RemoveLast();
  const std::string tensor = node.attr(last).value().tensor().SerializeAsString();
  const uint64_t n = stored->size;
  const uint64_t tensor_len = tensor.size() + tag(4).size() + varint(n).size() + n;
  const uint64_t value_len = tag(8).size() + varint(tensor_len).size() + tensor_len;
  const std::string key = tag(1) + varint(5) + "value";
  const uint64_t entry_len = key.size() + tag(2).size() + varint(value_len).size() + value_len;
  const std::string base = without.SerializeAsString();
  const uint64_t node_len = base.size() + tag(5).size() + varint(entry_len).size() + entry_len;

  f.head = tag(1) + varint(node_len) + base + tag(5) + varint(entry_len) + key + tag(2) + varint(value_len) + tag(8) +
           varint(tensor_len) + tensor + tag(4) + varint(n);
  f.bytes = stored;
  f.total = f.head.size() + n;
  return f;
}

}  // namespace

void save_graphdef_streaming(const tfprod::tf::GraphDef& graph, const std::vector<StreamedTensor>& streamed,
                             const fs::path& path) {
  std::unordered_map<std::string, const StoredBytes*> by_node;
  for (const auto& s : streamed) by_node[s.node] = &s.bytes;

  tfprod::tf::GraphDef rest = graph;
  rest.clear_node();
  const std::string tail = rest.SerializeAsString();
  uint64_t total = tail.size();
  std::vector<Framed> frames;
  frames.reserve(static_cast<std::size_t>(graph.node_size()));
  for (const auto& node : graph.node()) {
    auto it = by_node.find(node.name());
    frames.push_back(frame_node(node, it == by_node.end() ? nullptr : it->second));
    total += frames.back().total;
  }
  if (total > kMaxProtoBytes)
    fail("{}: the graph would be {} bytes; protobuf cannot read a message over 2 GiB", path.string(), total);

  std::unordered_map<std::string, std::unique_ptr<Fd>> sources;
  write_atomically(path, [&](const fs::path& tmp) {
    Output out(tmp);
    for (const auto& f : frames) {
      out.put(f.head);
      if (!f.bytes) continue;
      auto& src = sources[f.bytes->file];
      if (!src) src = std::make_unique<Fd>(f.bytes->file, O_RDONLY);
      out.copy_from(*src, *f.bytes, f.node);
    }
    out.put(tail);
    out.close();
  });
}

}  // namespace tfprod
