package crs

import (
	_ "embed"
	"strings"
	"unicode"
)

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is the set of passwords and stems of common_passwords.txt.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// lookAlikes undoes the letters people swap for digits and symbols.
var lookAlikes = strings.NewReplacer("@", "a", "4", "a", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t", "+", "t")

// keyboardRuns are rows and runs a password walked along the keyboard
// or the alphabet is part of, forwards or backwards.
var keyboardRuns = []string{
	"abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"zyxwvutsrqponmlkjihgfedcba", "09876543210", "mnbvcxzlkjhgfdsapoiuytrewq",
}

// guessablePassword says why a password is among the first an attacker
// tries, or "" if it is not: a password of the common list (or one of
// its stems with digits and symbols added, in any case, with look-alike
// letters), a walk along the keyboard or alphabet, or one with hardly
// any different characters in it.
func guessablePassword(password string) string {
	lower := strings.ToLower(password)
	if commonPasswords[lower] {
		return "it is one of the passwords attackers try first"
	}
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	stem := strings.TrimFunc(lower, notLetter)
	leading := strings.TrimFunc(lookAlikes.Replace(strings.TrimRightFunc(lower, notLetter)), notLetter)
	for _, s := range []string{stem, lookAlikes.Replace(stem), leading} {
		if s != "" && (commonPasswords[s] || commonPasswords[strings.ReplaceAll(s, " ", "")]) {
			return "it is a common password with a few characters added, which attackers try first"
		}
	}
	compact := strings.ReplaceAll(lower, " ", "")
	for _, run := range keyboardRuns {
		if len(compact) >= 4 && strings.Contains(run, compact) {
			return "it is a run of keys along the keyboard or the alphabet"
		}
	}
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return "it repeats too few different characters"
	}
	return ""
}
