package mediaauth

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// encoding/json reads a string that does not stand for valid UTF-8 (bytes
// that are not UTF-8, or a \u escape of a lone UTF-16 surrogate) as U+FFFD,
// without an error. A credentials file holding one would load altered, and
// the next Save would write the altered secret back over the user's: the
// file store refuses such a file instead, like any other it cannot read as
// it is.

// invalidUTF8Field returns the JSON path of the first string value of
// data, a valid JSON document, that does not stand for valid UTF-8 text,
// such as "credentials[0].movies_token.access_token"; ok is false when
// every string does. Object keys are not checked: a key that is not UTF-8
// names no field, and the strict decoder refuses it.
func invalidUTF8Field(data []byte) (path string, ok bool) {
	if validJSONText(data) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var frames []jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", false // the end: data is known to be valid JSON
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{':
				frames = append(frames, jsonFrame{inKey: true})
			case '[':
				frames = append(frames, jsonFrame{array: true})
			default:
				frames = frames[:len(frames)-1]
				valueRead(frames)
			}
			continue
		case string:
			if n := len(frames); n > 0 && frames[n-1].inKey {
				frames[n-1].key, frames[n-1].inKey = tok, false
				continue
			}
			// From start on, the text read is what separates this value
			// from the one before (ASCII), then the string itself.
			if !validJSONText(data[start:dec.InputOffset()]) {
				return jsonPath(frames), true
			}
		}
		valueRead(frames)
	}
}

// jsonFrame is where invalidUTF8Field is in one object or array.
type jsonFrame struct {
	array bool
	index int    // in an array: the index of the value being read
	key   string // in an object: the key of the value being read
	inKey bool   // in an object: the next string is a key
}

// valueRead moves the innermost frame past the value just read.
func valueRead(frames []jsonFrame) {
	if n := len(frames); n > 0 {
		if f := &frames[n-1]; f.array {
			f.index++
		} else {
			f.inKey = true
		}
	}
}

// jsonPath writes the path of the value being read: keys joined with dots,
// indexes in brackets.
func jsonPath(frames []jsonFrame) string {
	var b strings.Builder
	for i, f := range frames {
		switch {
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case i > 0:
			b.WriteString("." + f.key)
		default:
			b.WriteString(f.key)
		}
	}
	return b.String()
}

// validJSONText reports whether text, valid JSON or a part of it that
// does not begin inside a string, stands for valid UTF-8 once its strings
// are decoded: its bytes are UTF-8, and every \u escape of a UTF-16
// surrogate is half of a pair.
func validJSONText(text []byte) bool {
	if !utf8.Valid(text) {
		return false
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		i++ // the escaped character: a backslash is skipped with it
		r, ok := escapedRune(text, i)
		if !ok || !utf16.IsSurrogate(r) {
			continue
		}
		low, ok := rune(0), false
		if i+5 < len(text) && text[i+5] == '\\' {
			low, ok = escapedRune(text, i+6)
		}
		if !ok || utf16.DecodeRune(r, low) == utf8.RuneError {
			return false
		}
		i += 10
	}
	return true
}

// escapedRune reads the rune of the escape uXXXX at text[i:], if there is one.
func escapedRune(text []byte, i int) (rune, bool) {
	if i+5 > len(text) || text[i] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(text[i+1:i+5]), 16, 16)
	return rune(n), err == nil
}
