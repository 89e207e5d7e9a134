"""The path sandbox: the one way to write files on an agent's behalf.

``Sandbox(root)`` writes, creates directories and removes files under ``root`` and nowhere else::

    box = Sandbox(repo)
    box.write_text("src/app.py", source)      # atomic: readers see the old file or the new one
    box.mkdir("docs/adr")
    box.remove("build/old.txt")
    box.resolve("src/app.py")                 # the checked absolute path, without writing

Every operation raises :class:`~codex_core.errors.PathEscapeError` (a ``PermissionError``) for a
path that would leave the root, and guarantees:

- nothing lands outside ``root``: not through ``..`` (refused outright), not through an absolute
  path, not in a sibling that shares the root's prefix (``/repo`` vs ``/repo-evil``);
- nothing is written through a symlink, including one swapped in while the write happens: the
  path is first checked with the kernel's :func:`codex_core.paths.contained_path` (clear errors),
  then walked one component at a time with ``openat``-style calls (``dir_fd=``), each directory
  opened ``O_DIRECTORY | O_NOFOLLOW`` and the file created ``O_NOFOLLOW | O_EXCL``; the path
  string is never resolved again after the check, so there is no window to race;
- nothing under ``.git`` is written: any component equal to ``.git`` case-insensitively, and the
  spellings a case-folding or Unicode-normalising filesystem maps onto it (``.GIT``, ``.git.``,
  ``.g\\u200cit``, ``git~1``) that git itself refuses;
- a write is atomic and durable: a temp file in the target directory (via its descriptor),
  ``fsync``, ``os.replace(..., src_dir_fd=, dst_dir_fd=)``, ``fsync`` of the directory.

Symlinks are never followed, even ones that stay inside the root: a sandboxed write goes to the
path it names. The root itself may be reached through symlinks (it is resolved once, when the
sandbox is made): the root is the caller's choice, what is below it is the agent's.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import unicodedata
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from codex_core.errors import PathEscapeError
from codex_core.paths import contained_path

__all__ = ["Sandbox", "is_git_component", "names_git_dir"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: Code points HFS+ ignores when comparing names; git refuses ``.git`` spelled with them too.
_IGNORABLE = frozenset(
    "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"
)


def is_git_component(name: str) -> bool:
    """True when a single path component names the ``.git`` directory on some filesystem."""
    cleaned = "".join(ch for ch in name if ch not in _IGNORABLE)
    cleaned = unicodedata.normalize("NFC", cleaned).rstrip(". ").casefold()
    return cleaned == ".git" or cleaned == "git~1"


def names_git_dir(path: str) -> bool:
    """True when any component of ``path`` is (or, as a shell glob, could match) ``.git``.

    Used by the command policy on words from a command line, where ``rm -rf .g*`` names
    ``.git`` too. A glob component only counts when it starts with a dot: a shell's ``*`` does
    not match dotfiles.
    """
    if "g" not in path.lower() and not any(c in path for c in "*?["):
        return False  # every spelling of .git has a g; checked first because it is cheap
    for component in path.replace("\\", "/").split("/"):
        if is_git_component(component):
            return True
        if component.startswith(".") and any(c in component for c in "*?["):
            if fnmatchcase(".git", component.casefold()):
                return True
    return False


class Sandbox:
    """Writes confined to ``root`` (see the module docstring for the guarantees)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            raise NotADirectoryError(f"sandbox root {os.fspath(root)!r} is not a directory")
        self.root = real
        self._given = Path(os.path.abspath(root))

    def __repr__(self) -> str:
        return f"Sandbox({os.fspath(self.root)!r})"

    # -- checking ------------------------------------------------------------------------------

    def parts(self, rel: str | os.PathLike[str]) -> tuple[str, ...]:
        """The components of ``rel`` below the root, checked lexically (no filesystem access)."""
        text = os.fspath(rel)
        if "\x00" in text:
            raise PathEscapeError(f"path {text!r} contains a NUL byte")
        path = PurePosixPath(text)
        if path.is_absolute():
            for base in (self.root, self._given):
                if path.is_relative_to(base):
                    path = path.relative_to(base)
                    break
            else:
                raise PathEscapeError(f"path {text!r} is outside the sandbox root {self.root}")
        parts = tuple(p for p in path.parts if p not in ("", "."))
        if not parts:
            raise PathEscapeError(f"path {text!r} names the sandbox root itself")
        if ".." in parts:
            raise PathEscapeError(f"path {text!r} contains '..'")
        if any(is_git_component(p) for p in parts):
            raise PathEscapeError(f"path {text!r} is inside .git")
        return parts

    def resolve(self, rel: str | os.PathLike[str]) -> Path:
        """The absolute path ``rel`` names, if a sandboxed write to it would be allowed.

        Checks lexically, then with the kernel's ``contained_path`` (which follows symlinks that
        exist), then that no existing component is a symlink. This answers "would it be allowed
        now"; the writes themselves do not rely on it (they walk the path by descriptor).
        """
        parts = self.parts(rel)
        contained_path(self.root, PurePosixPath(*parts).as_posix())
        current = self.root
        for name in parts:
            current = current / name
            if current.is_symlink():
                raise PathEscapeError(f"path {os.fspath(rel)!r} goes through the symlink {current}")
        return current

    # -- writing -------------------------------------------------------------------------------

    def write_bytes(
        self, rel: str | os.PathLike[str], data: bytes, *, mode: int | None = None
    ) -> Path:
        """Atomically replace (or create) the file ``rel`` with ``data``; returns its path.

        Missing parent directories are created. ``mode`` defaults to the replaced file's
        permission bits (an executable script stays executable), else 0o644.
        """
        parts = self._checked(rel)
        name = parts[-1]
        dir_fd = self._open_dir(parts[:-1], create=True, rel=rel)
        try:
            existing = _lstat_at(name, dir_fd)
            if existing is not None:
                if stat.S_ISLNK(existing.st_mode):
                    raise PathEscapeError(f"path {os.fspath(rel)!r} is a symlink")
                if stat.S_ISDIR(existing.st_mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(rel))
            if mode is None:
                mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o644
            tmp = self._write_temp(dir_fd, name, data, mode)
            try:
                os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                _unlink_quietly(tmp, dir_fd)
                raise
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return self.root.joinpath(*parts)

    def write_text(
        self,
        rel: str | os.PathLike[str],
        text: str,
        *,
        encoding: str = "utf-8",
        mode: int | None = None,
    ) -> Path:
        """:meth:`write_bytes` of ``text`` encoded with ``encoding``."""
        return self.write_bytes(rel, text.encode(encoding), mode=mode)

    def mkdir(self, rel: str | os.PathLike[str]) -> Path:
        """Create the directory ``rel`` and its missing parents (an existing one is fine)."""
        parts = self._checked(rel)
        os.close(self._open_dir(parts, create=True, rel=rel))
        return self.root.joinpath(*parts)

    def remove(self, rel: str | os.PathLike[str], *, missing_ok: bool = False) -> None:
        """Remove the file, symlink (the link itself) or empty directory ``rel``."""
        parts = self._checked(rel)
        try:
            dir_fd = self._open_dir(parts[:-1], create=False, rel=rel)
        except FileNotFoundError:
            if missing_ok:
                return
            raise
        try:
            existing = _lstat_at(parts[-1], dir_fd)
            if existing is None:
                if missing_ok:
                    return
                raise FileNotFoundError(errno.ENOENT, "no such file", os.fspath(rel))
            if stat.S_ISDIR(existing.st_mode):
                os.rmdir(parts[-1], dir_fd=dir_fd)
            else:
                os.unlink(parts[-1], dir_fd=dir_fd)  # unlink never follows a symlink
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    # -- the descriptor walk -------------------------------------------------------------------

    def _checked(self, rel: str | os.PathLike[str]) -> tuple[str, ...]:
        parts = self.parts(rel)
        # The kernel's check first: a symlink that already points outside gets its clear error.
        contained_path(self.root, PurePosixPath(*parts).as_posix())
        return parts

    def _open_dir(
        self, parts: tuple[str, ...], *, create: bool, rel: str | os.PathLike[str]
    ) -> int:
        """A descriptor of ``root/parts``, reached component by component without following
        a symlink anywhere; missing directories are created when ``create``."""
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for name in parts:
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(name, 0o755, dir_fd=fd)  # mkdirat: never follows a symlink
                    except FileExistsError:
                        pass  # someone made it meanwhile: open it, still without following
                    child = _open_child_dir(name, fd, rel)
                except OSError as err:
                    raise _escape(err, rel, name) from None
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    @staticmethod
    def _write_temp(dir_fd: int, name: str, data: bytes, mode: int) -> str:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        for _ in range(16):
            tmp = f".{name[:200]}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
            except FileExistsError:
                continue  # a name we did not make (maybe planted): pick another
            break
        else:
            raise FileExistsError(errno.EEXIST, "could not create a temp file", name)
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink_quietly(tmp, dir_fd)
            raise
        os.close(fd)
        return tmp


def _open_child_dir(name: str, fd: int, rel: str | os.PathLike[str]) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as err:
        raise _escape(err, rel, name) from None


def _escape(err: OSError, rel: str | os.PathLike[str], name: str) -> OSError:
    """ELOOP / ENOTDIR on an ``O_NOFOLLOW | O_DIRECTORY`` open: a symlink or a file is there."""
    if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return PathEscapeError(
            f"path {os.fspath(rel)!r}: component {name!r} is a symlink or not a directory"
        )
    return err


def _lstat_at(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _unlink_quietly(name: str, dir_fd: int) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
