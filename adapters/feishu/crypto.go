package feishu

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Header names of a signed callback request (Feishu "Encrypt Key" docs; SDK
// event/event.go: EventRequestTimestamp, EventRequestNonce, EventSignature).
const (
	headerTimestamp = "X-Lark-Request-Timestamp"
	headerNonce     = "X-Lark-Request-Nonce"
	headerSignature = "X-Lark-Signature"
)

// maxSkew is how far a callback's timestamp may lie from now, either way
// (SPEC §6: older than 5 minutes, or from the future, is refused).
const maxSkew = 5 * time.Minute

// Decrypt decrypts the "encrypt" field of a callback body as Feishu documents
// it: key = SHA-256(encryptKey), the base64 text is IV (16 bytes) followed by
// AES-256-CBC ciphertext with PKCS#7 padding. Unlike the SDK's
// larkevent.EventDecrypt it removes and checks the padding, so the official
// vector decrypts to exactly "hello world".
func Decrypt(encrypt, encryptKey string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, errors.New("feishu: decrypt: the encrypt field is not base64")
	}
	if len(buf) < 2*aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		return nil, errors.New("feishu: decrypt: the ciphertext has a bad length")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(key[:])
	iv, data := buf[:aes.BlockSize], make([]byte, len(buf)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, buf[aes.BlockSize:])
	n := int(data[len(data)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errors.New("feishu: decrypt: bad padding (wrong encrypt_key?)")
	}
	for _, b := range data[len(data)-n:] {
		if int(b) != n {
			return nil, errors.New("feishu: decrypt: bad padding (wrong encrypt_key?)")
		}
	}
	return data[:len(data)-n], nil
}

// encrypt is the inverse of Decrypt, for tests and the fake server.
func encrypt(plain []byte, encryptKey string, iv []byte) string {
	key := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(key[:])
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), make([]byte, n)...)
	for i := len(plain); i < len(padded); i++ {
		padded[i] = byte(n)
	}
	out := make([]byte, aes.BlockSize+len(padded))
	copy(out, iv[:aes.BlockSize])
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out)
}

// Signature returns the X-Lark-Signature of a callback: the lower-case hex
// SHA-256 of timestamp + nonce + encryptKey + body (SDK larkevent.Signature).
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte(nonce))
	h.Write([]byte(encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// verifySignature checks a callback's signature and the age of its
// timestamp (Unix seconds) against now. The error says which check failed,
// without any secret.
func verifySignature(timestamp, nonce, signature, encryptKey string, body []byte, now time.Time) error {
	if timestamp == "" || signature == "" {
		return errors.New("the request is not signed (no X-Lark-Request-Timestamp or X-Lark-Signature)")
	}
	want := Signature(timestamp, nonce, encryptKey, body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return errors.New("the signature does not match (wrong encrypt_key, or a changed body)")
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("the timestamp %q is not Unix seconds", timestamp)
	}
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("the timestamp is %s away from now (at most %s is accepted)", d.Round(time.Second), maxSkew)
	}
	return nil
}
