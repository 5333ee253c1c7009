{
  "targets": [{
    "target_name": "flowbook_jpeg",
    "sources": ["jpeg_decode.c"],
    "cflags": ["-O2", "-Wall"],
    "libraries": ["-ljpeg"]
  }]
}
