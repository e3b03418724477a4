"""The exceptions spectrogenre raises; each message says what to fix."""


class SpectrogenreError(Exception):
    """Base class: a problem the user can act on (bad params, bad library, bad audio)."""


class ParamsError(SpectrogenreError):
    """params.yaml is missing a key, has an unknown key, or a value out of range."""


class LibraryError(SpectrogenreError):
    """The music library cannot train a model (missing, empty genre, too few albums)."""


class AudioError(SpectrogenreError):
    """One audio file cannot be used (unreadable, corrupt, truncated, empty, non-finite).

    The message starts with the file's path so that a skip report can quote it as is.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class AudioTooLong(AudioError):
    """A file decodes to more audio than the caller allows (the server's --max-duration)."""


class WorkTimeout(AudioError):
    """Decoding or classifying a file took longer than its time limit; the work was stopped."""


class WorkCancelled(WorkTimeout):
    """The work on a file was stopped because no one waits for its answer any more (the client went away)."""
