"""Uploaded files: what type they are, and their text in citable, searchable pieces.

Database-free and channel-free. Import from the module that holds each thing:

* ``sniff``: ``sniff(head, filename)`` on the first bytes of an upload, then
  ``sniff_file(path_or_file, filename)`` on the stored file -> ``FileTypeInfo``; both raise
  ``UnsupportedFileType`` (answer 415).
* ``filetypes``: the accepted types (``FileTypeInfo``, ``type_for_mime``, ...).
* ``extract``: ``extract_async(path, mime)`` / ``extract(path, mime)`` -> ``Extraction``, run
  in a sandboxed child process; never raises for a bad file.
* ``chunk``: ``chunk_parts(extraction.parts)`` -> ``list[Chunk]`` for the search index.
* ``results`` (``Extraction``, ``Part``, ``ExtractionStatus``) and ``limits`` (``Limits``).

Nothing is re-exported here on purpose: the sandbox child imports this package to reach its
readers and must not pay for ``ignacio_agents.domain`` (pydantic) on every file, and the
modules ``sniff`` and ``extract`` would shadow same-named functions.
"""
