// Package chart draws small business charts with Fyne's own canvas
// primitives, so they render crisp at any size and scale and need no
// charting library: BarChart is one bar per period (a day of a month, an
// hour of a day) of an amount in fen, with a zero line, grid lines at round
// yuan values, the highest bar's value written over it and any bar's value
// shown while the pointer is over it or after a tap.
package chart

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
)

// BarChart is a bar chart of amounts. Set its data with SetData; it lays
// itself out again whenever it is resized.
type BarChart struct {
	widget.BaseWidget
	// Format writes a value for the highest bar and the pointed one (nil:
	// Money.Display).
	Format func(app.Money) string
	// OnPoint is called with the bar the pointer is over or was tapped
	// (-1 when none), for a caption elsewhere on screen; may be nil.
	OnPoint func(i int)

	labels []string
	values []app.Money
	active int // the bar pointed at; -1 none
	r      *barRenderer
}

// NewBarChart makes an empty chart.
func NewBarChart() *BarChart {
	c := &BarChart{active: -1}
	c.ExtendBaseWidget(c)
	return c
}

// SetData replaces the bars: one per value, labelled under it (labels may
// be shorter than values: the rest go unlabelled).
func (c *BarChart) SetData(labels []string, values []app.Money) {
	c.labels = append([]string(nil), labels...)
	c.values = append([]app.Money(nil), values...)
	c.active = -1
	c.Refresh()
}

// Values are the bars' amounts, in order.
func (c *BarChart) Values() []app.Money { return c.values }

// Labels are the bars' labels, in order.
func (c *BarChart) Labels() []string { return c.labels }

// Active is the bar the pointer is over or that was tapped; -1 when none.
func (c *BarChart) Active() int { return c.active }

// CreateRenderer implements fyne.Widget.
func (c *BarChart) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	r := &barRenderer{c: c}
	r.rebuild()
	c.r = r
	return r
}

// Tapped shows the value of the bar tapped (a touch screen has no hover).
func (c *BarChart) Tapped(e *fyne.PointEvent) { c.point(e.Position) }

// MouseIn implements desktop.Hoverable.
func (c *BarChart) MouseIn(e *desktop.MouseEvent) { c.point(e.Position) }

// MouseMoved implements desktop.Hoverable.
func (c *BarChart) MouseMoved(e *desktop.MouseEvent) { c.point(e.Position) }

// MouseOut implements desktop.Hoverable.
func (c *BarChart) MouseOut() { c.setActive(-1) }

func (c *BarChart) point(p fyne.Position) {
	g := layoutFor(c, c.Size())
	c.setActive(g.slotAt(p))
}

func (c *BarChart) setActive(i int) {
	if i == c.active {
		return
	}
	c.active = i
	c.Refresh()
	if c.OnPoint != nil {
		c.OnPoint(i)
	}
}

func (c *BarChart) format(m app.Money) string {
	if c.Format != nil {
		return c.Format(m)
	}
	return m.Display()
}

// Bars are the drawn bars, one per value in order (for tests and
// screenshots: their sizes are what the person sees).
func (c *BarChart) Bars() []*canvas.Rectangle {
	if c.r == nil {
		return nil
	}
	return c.r.bars
}

// Scale is the value axis: from Lo to Hi (fen, Lo ≤ 0 ≤ Hi) in ticks of
// Step, every tick a whole number of yuan.
type Scale struct{ Lo, Hi, Step int64 }

// Ticks are the tick values from Lo to Hi.
func (s Scale) Ticks() []int64 {
	var out []int64
	if s.Step <= 0 {
		return []int64{s.Lo}
	}
	for v := s.Lo; ; v += s.Step {
		out = append(out, v)
		if v > s.Hi-s.Step { // compared before adding: never past an int64
			return out
		}
	}
}

// NiceScale is the axis for values: zero always on it, about four steps of
// 1, 2 or 5 times a power of ten yuan, the highest and lowest values
// inside. All-zero (or no) data gets one step of a yuan.
func NiceScale(values []app.Money) Scale {
	var lo, hi int64
	for _, v := range values {
		lo, hi = min(lo, int64(v)), max(hi, int64(v))
	}
	// In floats: the span of two extreme int64 amounts does not fit one.
	span := float64(hi) - float64(lo)
	if span <= 0 {
		return Scale{Lo: 0, Hi: 100, Step: 100}
	}
	raw := span / 4
	p := 100.0 // a yuan: ticks never fall between yuan
	for p*10 < raw {
		p *= 10
	}
	step := p * 10
	for _, m := range []float64{1, 2, 5} {
		if p*m >= raw {
			step = p * m
			break
		}
	}
	if step > math.MaxInt64/4 {
		step = math.MaxInt64 / 4 // the biggest power-of-ten step an int64 holds four of
		step = math.Pow(10, math.Floor(math.Log10(step)))
	}
	st := int64(step)
	s := Scale{Step: st, Hi: roundAway(hi, st), Lo: -roundAway(-lo, st)}
	if s.Hi == s.Lo {
		s.Hi = s.Lo + st
	}
	return s
}

// roundAway is v (≥ 0, or any negative treated as 0) rounded up to a
// multiple of step, or the largest multiple an int64 holds.
func roundAway(v, step int64) int64 {
	if v <= 0 {
		return 0
	}
	k := (v-1)/step + 1
	if k > math.MaxInt64/step {
		k = math.MaxInt64 / step
	}
	return k * step
}

// TickLabel writes a tick: whole yuan, thousands grouped ("￥12,000",
// "-￥500").
func TickLabel(fen int64) string {
	neg := fen < 0
	yuan := fen / 100
	if neg {
		yuan = -yuan // fen/100 first: -MinInt64 does not exist
	}
	digits := strconv.FormatInt(yuan, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("￥")
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// geometry is where things go for one size.
type geometry struct {
	n             int
	left, top     float32 // the plot area's corner
	width, height float32 // the plot area
	scale         Scale
	labelEvery    int // label every k-th bar so labels never overlap
	textSize      float32
}

const pad = 4

func layoutFor(c *BarChart, size fyne.Size) geometry {
	g := geometry{n: len(c.values), scale: NiceScale(c.values)}
	g.textSize = theme.CaptionTextSize()
	th := fyne.MeasureText("0", g.textSize, fyne.TextStyle{}).Height
	var tickW float32
	for _, v := range g.scale.Ticks() {
		tickW = max(tickW, fyne.MeasureText(TickLabel(v), g.textSize, fyne.TextStyle{}).Width)
	}
	g.left = tickW + 2*pad
	g.top = th + pad // room for the highest bar's value
	g.width = max(size.Width-g.left-pad, 1)
	g.height = max(size.Height-g.top-th-2*pad, 1)
	g.labelEvery = 1
	if g.n > 0 {
		var lw float32
		for _, l := range c.labels {
			lw = max(lw, fyne.MeasureText(l, g.textSize, fyne.TextStyle{}).Width)
		}
		slot := g.width / float32(g.n)
		for g.labelEvery < g.n && slot*float32(g.labelEvery) < lw+pad {
			g.labelEvery++
		}
	}
	return g
}

// y is where a value sits on screen.
func (g geometry) y(v int64) float32 {
	span := float64(g.scale.Hi) - float64(g.scale.Lo)
	y := g.top + g.height*float32((float64(g.scale.Hi)-float64(v))/span)
	return min(max(y, g.top), g.top+g.height) // past the axis's last tick: at its edge
}

func (g geometry) slot() float32 { return g.width / float32(max(g.n, 1)) }

// slotAt is the bar whose column holds p; -1 outside the plot.
func (g geometry) slotAt(p fyne.Position) int {
	if g.n == 0 || p.X < g.left || p.X >= g.left+g.width || p.Y < 0 || p.Y > g.top+g.height {
		return -1
	}
	i := int((p.X - g.left) / g.slot())
	if i < 0 || i >= g.n {
		return -1
	}
	return i
}

type barRenderer struct {
	c       *BarChart
	bars    []*canvas.Rectangle
	xLabels []*canvas.Text
	grid    []*canvas.Line
	ticks   []*canvas.Text
	zero    *canvas.Line
	yAxis   *canvas.Line
	peak    *canvas.Text // the highest bar's value
	tipBox  *canvas.Rectangle
	tip     *canvas.Text // the pointed bar's label and value
	objects []fyne.CanvasObject
}

// rebuild makes the objects for the data (their number changes with it).
func (r *barRenderer) rebuild() {
	c := r.c
	r.bars = make([]*canvas.Rectangle, len(c.values))
	r.xLabels = make([]*canvas.Text, len(c.values))
	for i := range c.values {
		r.bars[i] = canvas.NewRectangle(color.Transparent)
		r.xLabels[i] = canvas.NewText("", color.Transparent)
	}
	n := len(NiceScale(c.values).Ticks())
	r.grid = make([]*canvas.Line, n)
	r.ticks = make([]*canvas.Text, n)
	for i := range r.grid {
		r.grid[i] = canvas.NewLine(color.Transparent)
		r.ticks[i] = canvas.NewText("", color.Transparent)
	}
	r.zero = canvas.NewLine(color.Transparent)
	r.yAxis = canvas.NewLine(color.Transparent)
	r.peak = canvas.NewText("", color.Transparent)
	r.tipBox = canvas.NewRectangle(color.Transparent)
	r.tip = canvas.NewText("", color.Transparent)
	r.objects = r.objects[:0]
	for _, l := range r.grid {
		r.objects = append(r.objects, l)
	}
	for _, t := range r.ticks {
		r.objects = append(r.objects, t)
	}
	for _, b := range r.bars {
		r.objects = append(r.objects, b)
	}
	for _, t := range r.xLabels {
		r.objects = append(r.objects, t)
	}
	r.objects = append(r.objects, r.zero, r.yAxis, r.peak, r.tipBox, r.tip)
}

func (r *barRenderer) Destroy() {}

func (r *barRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *barRenderer) MinSize() fyne.Size {
	h := fyne.MeasureText("0", theme.CaptionTextSize(), fyne.TextStyle{}).Height
	return fyne.NewSize(160, 3*h+72)
}

func (r *barRenderer) Refresh() {
	c := r.c
	if len(r.bars) != len(c.values) || len(r.ticks) != len(NiceScale(c.values).Ticks()) {
		r.rebuild()
	}
	r.Layout(c.Size())
	canvas.Refresh(c)
}

func (r *barRenderer) Layout(size fyne.Size) {
	c := r.c
	if len(r.bars) != len(c.values) || len(r.ticks) != len(NiceScale(c.values).Ticks()) {
		r.rebuild()
	}
	g := layoutFor(c, size)
	v := fyne.CurrentApp().Settings().ThemeVariant()
	th := c.Theme()
	fg := th.Color(theme.ColorNameForeground, v)
	muted := th.Color(theme.ColorNamePlaceHolder, v)
	gridC := th.Color(theme.ColorNameSeparator, v)
	barC := th.Color(theme.ColorNamePrimary, v)
	negC := th.Color(theme.ColorNameError, v)
	hiC := th.Color(theme.ColorNameFocus, v)

	right := g.left + g.width
	for i, t := range g.scale.Ticks() {
		y := g.y(t)
		l := r.grid[i]
		l.StrokeColor, l.StrokeWidth = gridC, 1
		l.Position1, l.Position2 = fyne.NewPos(g.left, y), fyne.NewPos(right, y)
		l.Refresh()
		txt := r.ticks[i]
		txt.Text, txt.Color, txt.TextSize, txt.Alignment = TickLabel(t), muted, g.textSize, fyne.TextAlignTrailing
		ts := txt.MinSize()
		txt.Resize(fyne.NewSize(g.left-2*pad, ts.Height))
		txt.Move(fyne.NewPos(pad, y-ts.Height/2))
		txt.Refresh()
	}
	y0 := g.y(0)
	r.zero.StrokeColor, r.zero.StrokeWidth = fg, 1
	r.zero.Position1, r.zero.Position2 = fyne.NewPos(g.left, y0), fyne.NewPos(right, y0)
	r.zero.Refresh()
	r.yAxis.StrokeColor, r.yAxis.StrokeWidth = fg, 1
	r.yAxis.Position1, r.yAxis.Position2 = fyne.NewPos(g.left, g.top), fyne.NewPos(g.left, g.top+g.height)
	r.yAxis.Refresh()

	slot := g.slot()
	bw := max(slot*0.7, 1)
	peak := -1
	for i, v := range c.values {
		if v > 0 && (peak < 0 || v > c.values[peak]) {
			peak = i
		}
	}
	for i, v := range c.values {
		b := r.bars[i]
		x := g.left + slot*float32(i) + (slot-bw)/2
		top, bottom := g.y(max(int64(v), 0)), g.y(min(int64(v), 0))
		b.FillColor = barC
		if v < 0 {
			b.FillColor = negC
		}
		if i == c.active {
			b.FillColor = hiC
		}
		b.Move(fyne.NewPos(x, top))
		b.Resize(fyne.NewSize(bw, bottom-top))
		b.Refresh()

		l := r.xLabels[i]
		l.Text, l.Color, l.TextSize, l.Alignment = "", muted, g.textSize, fyne.TextAlignCenter
		if i < len(c.labels) && i%g.labelEvery == 0 {
			l.Text = c.labels[i]
		}
		ls := l.MinSize()
		l.Resize(fyne.NewSize(slot*float32(g.labelEvery), ls.Height))
		l.Move(fyne.NewPos(g.left+slot*float32(i)+slot/2-slot*float32(g.labelEvery)/2, g.top+g.height+pad))
		l.Refresh()
	}

	r.peak.Text, r.peak.Color, r.peak.TextSize = "", fg, g.textSize
	r.peak.TextStyle = fyne.TextStyle{Bold: true}
	if peak >= 0 && peak != c.active {
		r.place(r.peak, c.format(c.values[peak]), g, peak, size)
	}
	r.peak.Refresh()

	r.tip.Text, r.tip.Color, r.tip.TextSize = "", fg, g.textSize
	r.tipBox.FillColor = color.Transparent
	r.tipBox.Resize(fyne.Size{})
	if a := c.active; a >= 0 && a < len(c.values) {
		text := c.format(c.values[a])
		if a < len(c.labels) && c.labels[a] != "" {
			text = c.labels[a] + "  " + text
		}
		r.place(r.tip, text, g, a, size)
		r.tipBox.FillColor = th.Color(theme.ColorNameOverlayBackground, v)
		r.tipBox.StrokeColor, r.tipBox.StrokeWidth = gridC, 1
		r.tipBox.Move(r.tip.Position().SubtractXY(pad, 0))
		r.tipBox.Resize(r.tip.Size().AddWidthHeight(2*pad, 0))
	}
	r.tipBox.Refresh()
	r.tip.Refresh()
}

// place puts a text over bar i, kept inside the chart.
func (r *barRenderer) place(t *canvas.Text, text string, g geometry, i int, size fyne.Size) {
	t.Text = text
	ts := t.MinSize()
	v := r.c.values[i]
	cx := g.left + g.slot()*(float32(i)+0.5)
	x := min(max(cx-ts.Width/2, 0), max(size.Width-ts.Width, 0))
	y := g.y(max(int64(v), 0)) - ts.Height
	y = max(y, 0)
	t.Move(fyne.NewPos(x, y))
	t.Resize(ts)
}
