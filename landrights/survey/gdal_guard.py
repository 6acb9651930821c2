"""GDAL as a reader of data, not an interpreter of programs (issue 16, finding 1).

GDAL opens whatever a file says it is: an OGR VRT names other files, URLs and SQL to run, a
GeoJSON "crs" link is fetched over HTTP, a GDALG file runs a pipeline. The app needs three
drivers (ESRI Shapefile, GPKG, GeoJSON) to read and write survey packages, no virtual file system
but /vsimem/ (pyogrio's in-memory buffers), and no network at all. harden() takes every other
driver and file system out of GDAL's registry for the whole process and answers every HTTP fetch
GDAL attempts with an error, so that nothing handed to GDAL, from an upload or not, can make it
read a path of the server, a URL or a nested archive. pyogrio offers no way to restrict drivers
per call (it registers all of them at import), so this goes through GDAL's C API in the library
pyogrio loaded.

Pure: no Flask, no database.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import pyogrio

ALLOWED_DRIVERS = ("ESRI Shapefile", "GPKG", "GeoJSON")
ALLOWED_FILE_SYSTEMS = ("/vsimem/",)
# Belt and braces: what GDAL itself would refuse if a removed driver came back
CONFIG = {
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",  # no VirtualOGR / external files from SQLite SQL
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
}
_lock = threading.Lock()
_lib = None


class _HttpResult(ctypes.Structure):
    """GDAL's CPLHTTPResult (cpl_http.h), as CPLHTTPDestroyResult frees it."""

    _fields_ = [("nStatus", ctypes.c_int), ("pszContentType", ctypes.c_void_p),
                ("pabyData", ctypes.c_void_p), ("nDataLen", ctypes.c_int),
                ("nDataAlloc", ctypes.c_int), ("pszErrBuf", ctypes.c_void_p),
                ("nMimePartCount", ctypes.c_int), ("pasMimePart", ctypes.c_void_p),
                ("papszHeaders", ctypes.c_void_p)]


_FETCH = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def _refuse_fetch(url, *_):
    """Answer every HTTP fetch GDAL attempts (a GeoJSON "crs" link, WFS, …) with an error."""
    lib = _library()
    address = lib.CPLCalloc(1, ctypes.sizeof(_HttpResult))
    result = _HttpResult.from_address(address)
    result.nStatus = 1  # a curl error code: the fetch failed
    result.pszErrBuf = lib.CPLStrdup(b"network access is disabled in landrights")
    return address


_refuse_fetch_c = _FETCH(_refuse_fetch)  # kept referenced for the life of the process
_fetch_refused = False


class GdalNotHardened(RuntimeError):
    """GDAL could not be restricted; the app refuses to read survey files rather than risk it."""


def _library() -> ctypes.CDLL:
    """Return the GDAL library pyogrio loaded (the one its drivers are registered in)."""
    global _lib
    if _lib is None:
        paths = []
        try:
            with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
                paths = [line.split()[-1] for line in maps if "libgdal" in line]
        except OSError:
            pass
        paths += glob.glob(os.path.dirname(pyogrio.__file__) + ".libs/libgdal*.so*")
        if not paths:
            raise GdalNotHardened("pyogrio's libgdal was not found")
        lib = ctypes.CDLL(paths[0])
        lib.GDALGetDriverCount.restype = ctypes.c_int
        lib.GDALGetDriver.restype = ctypes.c_void_p
        lib.GDALGetDriver.argtypes = [ctypes.c_int]
        lib.GDALGetDriverShortName.restype = ctypes.c_char_p
        lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
        lib.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
        lib.VSIGetFileSystemsPrefixes.restype = ctypes.POINTER(ctypes.c_char_p)
        lib.VSIRemovePluginHandler.argtypes = [ctypes.c_char_p]
        lib.CSLDestroy.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        lib.CPLCalloc.restype = ctypes.c_void_p
        lib.CPLCalloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        lib.CPLStrdup.restype = ctypes.c_void_p
        lib.CPLStrdup.argtypes = [ctypes.c_char_p]
        lib.CPLHTTPSetFetchCallback.argtypes = [_FETCH, ctypes.c_void_p]
        _lib = lib
    return _lib


def registered_drivers() -> list[str]:
    """Return the short names of the drivers GDAL would try on a file."""
    lib = _library()
    return [lib.GDALGetDriverShortName(lib.GDALGetDriver(i)).decode()
            for i in range(lib.GDALGetDriverCount())]


def file_systems() -> list[str]:
    """Return the virtual file systems (/vsi…/) GDAL would follow in a path."""
    lib = _library()
    found = lib.VSIGetFileSystemsPrefixes()
    prefixes, i = [], 0
    while found[i]:
        prefixes.append(found[i].decode())
        i += 1
    lib.CSLDestroy(found)
    return prefixes


def harden() -> None:
    """Leave GDAL only the three drivers and /vsimem/, and no HTTP; cheap when already done (each
    read calls it).

    Raises:
        GdalNotHardened: something else is still registered afterwards.
    """
    if _hardened():
        return
    global _fetch_refused
    with _lock:
        pyogrio.set_gdal_config_options(CONFIG)
        lib = _library()
        lib.CPLHTTPSetFetchCallback(_refuse_fetch_c, None)
        _fetch_refused = True
        drivers = [lib.GDALGetDriver(i) for i in range(lib.GDALGetDriverCount())]
        for driver in drivers:
            if lib.GDALGetDriverShortName(driver).decode() not in ALLOWED_DRIVERS:
                lib.GDALDeregisterDriver(driver)  # the driver object stays, unused: no dangling use
        for prefix in file_systems():
            if prefix not in ALLOWED_FILE_SYSTEMS:
                lib.VSIRemovePluginHandler(prefix.encode())
    if not _hardened():
        raise GdalNotHardened(f"GDAL still has {registered_drivers()} and {file_systems()}")


def _hardened() -> bool:
    return (_fetch_refused and sorted(registered_drivers()) == sorted(ALLOWED_DRIVERS)
            and file_systems() == list(ALLOWED_FILE_SYSTEMS))
