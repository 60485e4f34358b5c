"""The classifier's default keyword sets: operator data, overridable per set in the admin.

Each set is matched case-insensitively on word boundaries against the system and user text
(a phrase matches as a whole; a trailing `*` matches any word ending, as in `cryptograph*`).
An operator's `ClassifierConfig.keywords` replaces a whole set by name: `{"creative": [...]}`.
"""

DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    # Asking for a chain of reasoning rather than a recalled fact.
    "reasoning": (
        "step by step", "step-by-step", "prove", "proof", "reason", "reasoning", "logic", "logical*",
        "deduce", "infer", "justify", "explain why", "why", "puzzle", "riddle", "paradox",
        "counterexample", "derive", "what if", "hypothetical*", "if and only if", "contradiction",
    ),
    "math": (
        "calculate", "compute", "solve", "equation*", "probability", "integral*", "derivative*",
        "matrix", "matrices", "polynomial*", "theorem", "prime", "quadratic", "triangle", "circle",
        "roots", "sequence", "modulo", "remainder", "expected value", "variance", "how many ways",
        "real number*", "integer*", "divisible", "factorial", "geometric", "arithmetic", "digits",
        "area", "perimeter", "radius", "angle*", "coordinate*", "simplify", "fraction*", "percent*",
        "ratio", "vertices", "inequality", "logarithm*", "function", "minimum", "maximum",
    ),
    "analysis": (
        "analyze", "analyse", "analysis", "compare", "contrast", "evaluate", "assess", "critique",
        "pros and cons", "trade-off*", "tradeoff*", "implication*", "impact*", "benefits", "risks",
        "advantages", "disadvantages", "differences between", "best practice*", "strateg*",
        "recommend*", "justification", "in detail", "discuss", "argue", "perspective*",
    ),
    "creative": (
        "poem", "poetry", "story", "stories", "song", "lyrics", "haiku", "limerick", "novel",
        "fiction", "character*", "blog post", "slogan", "tweet", "screenplay", "dialogue", "imagine",
        "role-play", "roleplay", "pretend", "compose", "rap", "verse", "rhyme*", "fantasy",
        "creative*", "narrative", "poème", "chanson", "canción", "gedicht",
    ),
    # Specialist subjects where small models fall furthest behind.
    "expert": (
        "distributed", "concurren*", "kernel", "operating system", "compiler*", "cryptograph*",
        "quantum", "neural network*", "machine learning", "deep learning", "architecture",
        "microservice*", "legal", "jurisdiction", "diagnos*", "clinical", "pharmacolog*", "topology",
        "thermodynamic*", "econometric*", "portfolio", "vulnerabilit*", "exploit", "optimi*",
        "from scratch", "production", "scalab*", "framework", "latency", "bandwidth", "throughput",
        "memory", "gpu", "cuda", "assembly", "multithread*", "asynchronous", "protocol", "regulat*",
        "statistic*", "bayesian", "stochastic", "differential", "eigen*", "asymptotic*",
    ),
    "code": (
        "python", "java", "javascript", "typescript", "c++", "c#", "rust", "golang", "sql", "html",
        "css", "matlab", "bash", "implement", "code", "script", "program", "programming", "algorithm*",
        "class", "api", "regex", "regular expression", "bug", "debug", "compile*", "array*", "string*",
        "return", "time complexity", "space complexity", "data structure*", "recursion", "recursive",
        "library", "module", "unit test*", "refactor", "def", "parameter*", "runtime", "linked list",
        "binary tree", "hash map", "dictionary", "loop",
    ),
    # Tasks whose answer is a label, a word or a single fact.
    "simple": (
        "yes or no", "true or false", "one word", "single word", "classify", "label", "sentiment",
        "translate", "identify", "which of the following", "multiple choice", "fill in the blank",
        "spell", "define", "synonym*", "antonym*", "capital of", "positive or negative",
        "categor*", "tag", "extract", "who is", "who was", "who sang", "who played", "who wrote",
        "when did", "when was", "where is", "what year", "what is the name", "decide whether",
        "determine whether", "tell if", "tell whether", "is it true", "predict whether", "which one",
        "output positive", "output yes", "options", "choose", "select the", "correct answer",
    ),
    # How big the thing to build or write is: a whole program or system rather than one function.
    "scope": (
        "program", "application", "app", "system", "end-to-end", "end to end", "from scratch",
        "pipeline", "project", "full-stack", "design a", "build a", "build an", "create a", "architect*",
        "multiple", "several", "various", "entire", "infrastructure", "deploy*", "integrat*", "workflow",
    ),
    "constraints": (
        "must", "should", "without", "at least", "at most", "no more than", "exactly", "only",
        "ensure", "make sure", "do not", "don't", "avoid", "in the format", "constraint*",
        "requirement*", "o(n", "o(1", "o(log", "edge case*", "guarantee*", "strictly", "efficient*",
    ),
    "long_output": (
        "detailed", "comprehensive", "in depth", "in-depth", "complete", "thorough*", "full",
        "entire", "guide", "plan", "tutorial", "report", "essay", "elaborate", "examples",
        "explain", "describe", "outline", "series of", "list of", "business plan", "walk me through",
    ),
    "short_output": (
        "briefly", "brief", "short answer", "one sentence", "in a few words", "concise*",
        "only the answer", "just the answer", "tl;dr", "output yes", "output no", "answer with",
        "respond with", "one of the following", "reply with",
    ),
}
