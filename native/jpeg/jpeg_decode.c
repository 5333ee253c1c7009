/*
 * decode(bytes, fast) -> { data: Buffer (RGB, height*width*3), width, height } | null
 *
 * JPEG decoding with the system libjpeg (Debian's libjpeg62-turbo, the library Pillow links), set up as
 * Pillow's JPEG decoder sets it up for an "RGB" image: the accurate integer IDCT (JDCT_ISLOW), fancy
 * upsampling, libjpeg's own YCbCr->RGB and grey->RGB conversion -- so the pixels are PIL's, bit for bit.
 * `fast` selects libjpeg-turbo's fast integer IDCT (JDCT_IFAST) instead.
 *
 * Returns null (never throws) for anything it does not decode exactly as Pillow would: CMYK/YCCK, a corrupt or
 * truncated stream (any libjpeg error *or warning*): the caller then takes its general path, which gives the
 * error message or handles the colour space. Plain C, no exceptions: safe under Worker.terminate().
 */
#include <node_api.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  int warned;
} ErrorManager;

static void on_error(j_common_ptr c) { longjmp(((ErrorManager *)c->err)->jump, 1); }
static void on_message(j_common_ptr c, int level) { if (level < 0) ((ErrorManager *)c->err)->warned = 1; }

static napi_value null_value(napi_env env) { napi_value v; napi_get_null(env, &v); return v; }

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "decode(bytes, fast): bytes is required");
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  bool is_typed = false, is_buffer = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  napi_is_buffer(env, argv[0], &is_buffer);
  if (is_typed) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value ab;
    napi_get_typedarray_info(env, argv[0], &type, &count, &data, &ab, &offset);
    if (type != napi_uint8_array) { napi_throw_type_error(env, NULL, "decode: bytes must be a Uint8Array"); return NULL; }
    length = count;
  } else if (is_buffer) {
    napi_get_buffer_info(env, argv[0], &data, &length);
  } else {
    napi_throw_type_error(env, NULL, "decode: bytes must be a Uint8Array");
    return NULL;
  }
  bool fast = false;
  if (argc > 1) napi_get_value_bool(env, argv[1], &fast);
  if (length < 4) return null_value(env);

  struct jpeg_decompress_struct cinfo;
  ErrorManager err;
  napi_value result = NULL;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.warned = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return null_value(env);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)length);
  jpeg_read_header(&cinfo, TRUE);
  if (err.warned || (cinfo.jpeg_color_space != JCS_YCbCr && cinfo.jpeg_color_space != JCS_GRAYSCALE && cinfo.jpeg_color_space != JCS_RGB)) {
    jpeg_destroy_decompress(&cinfo);
    return null_value(env);
  }
  cinfo.out_color_space = JCS_RGB;
  cinfo.dct_method = fast ? JDCT_IFAST : JDCT_ISLOW;
  jpeg_start_decompress(&cinfo);
  const size_t width = cinfo.output_width, height = cinfo.output_height, stride = width * 3;
  if (cinfo.output_components != 3) { jpeg_destroy_decompress(&cinfo); return null_value(env); }
  void *out = NULL;
  napi_value buffer;
  if (napi_create_buffer(env, stride * height, &out, &buffer) != napi_ok) { jpeg_destroy_decompress(&cinfo); return NULL; }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = (JSAMPROW)out + (size_t)cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  const int warned = err.warned;
  jpeg_destroy_decompress(&cinfo);
  if (warned) return null_value(env);

  napi_value w, h;
  napi_create_object(env, &result);
  napi_create_uint32(env, (uint32_t)width, &w);
  napi_create_uint32(env, (uint32_t)height, &h);
  napi_set_named_property(env, result, "data", buffer);
  napi_set_named_property(env, result, "width", w);
  napi_set_named_property(env, result, "height", h);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, version;
  napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn);
  napi_set_named_property(env, exports, "decode", fn);
  napi_create_int32(env, JPEG_LIB_VERSION, &version);
  napi_set_named_property(env, exports, "jpegLibVersion", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
