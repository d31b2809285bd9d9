// parse_event: an Event and its Summary.Values read straight off the protobuf
// wire into views of the record, field numbers as in proto/tfprod/tf/util/
// event.proto and framework/summary.proto. No allocation per event (the value
// vector keeps its capacity), which is what lets a 256 MiB file stream at
// hundreds of MiB/s. Malformed wire data (a bad tag, a truncated field, a
// known field with the wrong wire type) is "not an Event".
#include <cmath>
#include <cstring>

#include "eval/half.h"
#include "tfprod/events.h"

namespace tfprod::events {

namespace {

enum WireType { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Wire {
  const uint8_t* p;
  const uint8_t* end;
  std::string* why;

  explicit Wire(std::string_view s, std::string* w)
      : p(reinterpret_cast<const uint8_t*>(s.data())), end(p + s.size()), why(w) {}
  bool done() const { return p >= end; }

  bool bad(const char* what) {
    if (why && why->empty()) *why = what;
    return false;
  }
  bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return bad("truncated varint");
      const uint8_t b = *p++;
      r |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return bad("varint longer than 10 bytes");
  }
  bool fixed64(uint64_t* v) {
    if (end - p < 8) return bad("truncated fixed64");
    std::memcpy(v, p, 8);
    p += 8;
    return true;
  }
  bool fixed32(uint32_t* v) {
    if (end - p < 4) return bad("truncated fixed32");
    std::memcpy(v, p, 4);
    p += 4;
    return true;
  }
  bool bytes(std::string_view* s) {
    uint64_t n;
    if (!varint(&n)) return false;
    if (n > static_cast<uint64_t>(end - p)) return bad("length-delimited field runs past the end of its message");
    *s = std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    p += n;
    return true;
  }
  // Reads a tag; field 0 and group wire types are invalid here.
  bool tag(uint32_t* field, int* type) {
    uint64_t t;
    if (!varint(&t)) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *type = static_cast<int>(t & 7);
    if (*field == 0) return bad("field number 0");
    if (*type != kVarint && *type != kFixed64 && *type != kBytes && *type != kFixed32)
      return bad("unsupported wire type (group or invalid)");
    return true;
  }
  bool skip(int type) {
    uint64_t v;
    uint32_t w;
    std::string_view s;
    switch (type) {
      case kVarint: return varint(&v);
      case kFixed64: return fixed64(&v);
      case kFixed32: return fixed32(&w);
      case kBytes: return bytes(&s);
    }
    return bad("unsupported wire type");
  }
  bool expect(int type, int want) { return type == want || bad("a known field has the wrong wire type"); }
};

// DataType values (types.proto).
enum : int {
  DT_FLOAT = 1, DT_DOUBLE = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 5, DT_INT8 = 6, DT_INT64 = 9, DT_BOOL = 10,
  DT_BFLOAT16 = 14, DT_UINT16 = 17, DT_HALF = 19, DT_UINT32 = 22, DT_UINT64 = 23
};

int element_size(int dtype) {
  switch (dtype) {
    case DT_FLOAT: case DT_INT32: case DT_UINT32: return 4;
    case DT_DOUBLE: case DT_INT64: case DT_UINT64: return 8;
    case DT_INT16: case DT_UINT16: case DT_HALF: case DT_BFLOAT16: return 2;
    case DT_UINT8: case DT_INT8: case DT_BOOL: return 1;
  }
  return 0;  // not numeric (string, complex, resource, variant)
}

double from_raw(int dtype, const char* p) {
  switch (dtype) {
    case DT_FLOAT: { float f; std::memcpy(&f, p, 4); return f; }
    case DT_DOUBLE: { double d; std::memcpy(&d, p, 8); return d; }
    case DT_INT32: { int32_t v; std::memcpy(&v, p, 4); return v; }
    case DT_UINT32: { uint32_t v; std::memcpy(&v, p, 4); return v; }
    case DT_INT64: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
    case DT_UINT64: { uint64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
    case DT_INT16: { int16_t v; std::memcpy(&v, p, 2); return v; }
    case DT_UINT16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case DT_HALF: { uint16_t v; std::memcpy(&v, p, 2); return eval::half_to_float(v); }
    case DT_BFLOAT16: { uint16_t v; std::memcpy(&v, p, 2); return eval::bfloat16_to_float(v); }
    case DT_UINT8: return static_cast<uint8_t>(*p);
    case DT_INT8: return static_cast<int8_t>(*p);
    case DT_BOOL: return *p ? 1.0 : 0.0;
  }
  return 0;
}

// The first element of a repeated numeric field, packed or not.
bool first_element(Wire& w, int type, int elem_wire, std::optional<uint64_t>* first) {
  if (type == kBytes) {  // packed
    std::string_view s;
    if (!w.bytes(&s)) return false;
    Wire inner(s, w.why);
    while (!inner.done()) {
      uint64_t v = 0;
      uint32_t v32 = 0;
      if (elem_wire == kVarint && !inner.varint(&v)) return false;
      if (elem_wire == kFixed64 && !inner.fixed64(&v)) return false;
      if (elem_wire == kFixed32) {
        if (!inner.fixed32(&v32)) return false;
        v = v32;
      }
      if (!*first) *first = v;
    }
    return true;
  }
  if (!w.expect(type, elem_wire)) return false;
  uint64_t v = 0;
  uint32_t v32 = 0;
  if (elem_wire == kVarint && !w.varint(&v)) return false;
  if (elem_wire == kFixed64 && !w.fixed64(&v)) return false;
  if (elem_wire == kFixed32) {
    if (!w.fixed32(&v32)) return false;
    v = v32;
  }
  if (!*first) *first = v;
  return true;
}

bool parse_shape(std::string_view s, int64_t* elements, std::string* why) {
  Wire w(s, why);
  int64_t n = 1;
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    if (f == 2) {  // dim
      std::string_view dim;
      if (!w.expect(t, kBytes) || !w.bytes(&dim)) return false;
      Wire d(dim, why);
      int64_t size = 0;
      while (!d.done()) {
        uint32_t df;
        int dt;
        if (!d.tag(&df, &dt)) return false;
        if (df == 1) {
          uint64_t v;
          if (!d.expect(dt, kVarint) || !d.varint(&v)) return false;
          size = static_cast<int64_t>(v);
        } else if (!d.skip(dt)) {
          return false;
        }
      }
      if (size < 0) size = 0;  // unknown dims do not appear in stored tensors
      n = (size != 0 && n > INT64_MAX / size) ? INT64_MAX : n * size;
    } else if (!w.skip(t)) {
      return false;
    }
  }
  *elements = n;
  return true;
}

bool parse_tensor(std::string_view s, ValueView* v, std::string* why) {
  Wire w(s, why);
  int dtype = 0;
  int64_t elements = 1;
  std::string_view content;
  std::optional<uint64_t> first;  // raw bits of the first typed value
  int first_field = 0;
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    switch (f) {
      case 1: {
        uint64_t d;
        if (!w.expect(t, kVarint) || !w.varint(&d)) return false;
        dtype = static_cast<int>(d);
        break;
      }
      case 2: {
        std::string_view shape;
        if (!w.expect(t, kBytes) || !w.bytes(&shape) || !parse_shape(shape, &elements, why)) return false;
        break;
      }
      case 4:
        if (!w.expect(t, kBytes) || !w.bytes(&content)) return false;
        break;
      case 5: case 6: case 7: case 10: case 11: case 13: case 16: case 17: {
        const int elem = f == 5 ? kFixed32 : f == 6 ? kFixed64 : kVarint;
        std::optional<uint64_t> here;
        if (!first_element(w, t, elem, &here)) return false;
        if (here && !first) {
          first = here;
          first_field = static_cast<int>(f);
        }
        break;
      }
      default:
        if (!w.skip(t)) return false;
    }
  }
  v->tensor_dtype = dtype;
  v->tensor_elements = elements;
  const int esize = element_size(dtype);
  if (elements != 1 || esize == 0) return true;
  if (!content.empty()) {
    if (content.size() == static_cast<std::size_t>(esize)) v->tensor_scalar = from_raw(dtype, content.data());
    return true;
  }
  if (!first) {
    v->tensor_scalar = 0.0;  // TF: no values means zeros
    return true;
  }
  const uint64_t bits = *first;
  switch (first_field) {
    case 5: { float x; uint32_t b = static_cast<uint32_t>(bits); std::memcpy(&x, &b, 4); v->tensor_scalar = x; break; }
    case 6: { double x; std::memcpy(&x, &bits, 8); v->tensor_scalar = x; break; }
    case 13:
      v->tensor_scalar = dtype == DT_BFLOAT16 ? eval::bfloat16_to_float(static_cast<uint16_t>(bits))
                                              : eval::half_to_float(static_cast<uint16_t>(bits));
      break;
    case 10: v->tensor_scalar = static_cast<double>(static_cast<int64_t>(bits)); break;
    case 17: v->tensor_scalar = static_cast<double>(bits); break;
    case 16: v->tensor_scalar = static_cast<double>(static_cast<uint32_t>(bits)); break;
    case 11: v->tensor_scalar = bits ? 1.0 : 0.0; break;
    default: v->tensor_scalar = static_cast<double>(static_cast<int32_t>(bits)); break;  // int_val
  }
  return true;
}

bool parse_metadata(std::string_view s, ValueView* v, std::string* why) {
  Wire w(s, why);
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    if (f == 1) {
      std::string_view pd;
      if (!w.expect(t, kBytes) || !w.bytes(&pd)) return false;
      Wire p(pd, why);
      while (!p.done()) {
        uint32_t pf;
        int pt;
        if (!p.tag(&pf, &pt)) return false;
        if (pf == 1) {
          if (!p.expect(pt, kBytes) || !p.bytes(&v->plugin_name)) return false;
        } else if (!p.skip(pt)) {
          return false;
        }
      }
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

bool parse_value(std::string_view s, ValueView* v, std::string* why) {
  Wire w(s, why);
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    std::string_view sub;
    switch (f) {
      case 1:
        if (!w.expect(t, kBytes) || !w.bytes(&v->tag)) return false;
        break;
      case 2: {
        uint32_t bits;
        if (!w.expect(t, kFixed32) || !w.fixed32(&bits)) return false;
        std::memcpy(&v->simple_value, &bits, 4);
        v->kind = ValueView::Kind::kSimpleValue;
        break;
      }
      case 3: case 4: case 5: case 6:
        if (!w.expect(t, kBytes) || !w.bytes(&sub)) return false;
        v->kind = f == 3 ? ValueView::Kind::kOldHistogram
                  : f == 4 ? ValueView::Kind::kImage
                  : f == 5 ? ValueView::Kind::kHisto
                           : ValueView::Kind::kAudio;
        break;
      case 8:
        if (!w.expect(t, kBytes) || !w.bytes(&sub)) return false;
        v->kind = ValueView::Kind::kTensor;
        v->tensor_scalar.reset();
        if (!parse_tensor(sub, v, why)) return false;
        break;
      case 9:
        if (!w.expect(t, kBytes) || !w.bytes(&sub)) return false;
        v->has_metadata = true;
        if (!parse_metadata(sub, v, why)) return false;
        break;
      default:  // node_name (7) and fields newer than us
        if (!w.skip(t)) return false;
    }
  }
  return true;
}

bool parse_session_log(std::string_view s, EventView* e, std::string* why) {
  Wire w(s, why);
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    if (f == 1) {
      uint64_t v;
      if (!w.expect(t, kVarint) || !w.varint(&v)) return false;
      e->session_status = static_cast<int>(v);
    } else if (f == 2) {
      if (!w.expect(t, kBytes) || !w.bytes(&e->checkpoint_path)) return false;
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

// The string field `field` of a small message (log_message.message, ...).
bool string_field(std::string_view s, uint32_t field, std::string_view* out, std::string* why) {
  Wire w(s, why);
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    if (f == field) {
      if (!w.expect(t, kBytes) || !w.bytes(out)) return false;
    } else if (!w.skip(t)) {
      return false;
    }
  }
  return true;
}

}  // namespace

double parse_file_version(std::string_view file_version) {
  const auto colon = file_version.rfind(':');
  const std::string last(colon == std::string_view::npos ? file_version : file_version.substr(colon + 1));
  if (last.empty()) return -1;
  char* end = nullptr;
  const double v = std::strtod(last.c_str(), &end);
  if (end != last.c_str() + last.size() || std::isnan(v)) return -1;
  return v;
}

bool parse_event(std::string_view bytes, EventView* e, std::string* why) {
  std::vector<ValueView> keep = std::move(e->values);
  keep.clear();
  *e = EventView{};
  e->values = std::move(keep);
  Wire w(bytes, why);
  while (!w.done()) {
    uint32_t f;
    int t;
    if (!w.tag(&f, &t)) return false;
    std::string_view sub;
    switch (f) {
      case 1: {
        uint64_t bits;
        if (!w.expect(t, kFixed64) || !w.fixed64(&bits)) return false;
        std::memcpy(&e->wall_time, &bits, 8);
        break;
      }
      case 2: {
        uint64_t v;
        if (!w.expect(t, kVarint) || !w.varint(&v)) return false;
        e->step = static_cast<int64_t>(v);
        break;
      }
      case 3:
        if (!w.expect(t, kBytes) || !w.bytes(&e->file_version)) return false;
        e->has_file_version = true;
        break;
      case 4:
        if (!w.expect(t, kBytes) || !w.bytes(&e->graph_def)) return false;
        e->has_graph_def = true;
        break;
      case 5: {
        if (!w.expect(t, kBytes) || !w.bytes(&sub)) return false;
        e->has_summary = true;
        Wire s(sub, why);
        while (!s.done()) {
          uint32_t sf;
          int st;
          if (!s.tag(&sf, &st)) return false;
          if (sf == 1) {
            std::string_view vbytes;
            if (!s.expect(st, kBytes) || !s.bytes(&vbytes)) return false;
            e->values.emplace_back();
            if (!parse_value(vbytes, &e->values.back(), why)) return false;
          } else if (!s.skip(st)) {
            return false;
          }
        }
        break;
      }
      case 6:
        if (!w.expect(t, kBytes) || !w.bytes(&sub) || !string_field(sub, 2, &e->log_message, why)) return false;
        e->has_log_message = true;
        break;
      case 7:
        if (!w.expect(t, kBytes) || !w.bytes(&sub) || !parse_session_log(sub, e, why)) return false;
        e->has_session_log = true;
        break;
      case 8:
        if (!w.expect(t, kBytes) || !w.bytes(&sub) || !string_field(sub, 1, &e->run_metadata_tag, why)) return false;
        e->has_tagged_run_metadata = true;
        break;
      case 9:
        if (!w.expect(t, kBytes) || !w.bytes(&e->meta_graph_def)) return false;
        e->has_meta_graph_def = true;
        break;
      case 10:
        if (!w.expect(t, kBytes) || !w.bytes(&sub) || !string_field(sub, 1, &e->source_writer, why)) return false;
        e->has_source_metadata = true;
        break;
      default:
        if (!w.skip(t)) return false;
    }
  }
  return true;
}

}  // namespace tfprod::events
