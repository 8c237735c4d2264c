"""Syntax highlighting of .arch files: a Pygments lexer (registered as `arch` through the
`pygments.lexers` entry point) and the TextMate grammar of the VS Code extension in
editors/vscode/, both built from the word lists in `words` (the grammar's keywords, the op
registry, the merge kinds), so neither can drift from the language."""
