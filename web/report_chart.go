package web

import (
	"fmt"
	"math"
)

// Charts drawn on the server as SVG: the geometry is worked out here and
// the template writes the elements, so no script draws anything.

// svgBar is one value of a chart.
type svgBar struct {
	Label  string
	Value  float64
	Breach bool // drawn in the warning colour
}

// svgChart is a chart ready to draw in a viewBox of Width x Height.
type svgChart struct {
	Title         string
	Width, Height int
	Bars          []svgRect
	Points        string // a polyline's points
	Dots          []svgRect
	Target        *svgLine
	Axis          []svgLabel
}

type svgRect struct {
	X, Y, W, H float64
	Label      string
	Breach     bool
}

type svgLine struct{ X1, Y1, X2, Y2 float64 }

type svgLabel struct {
	X, Y float64
	Text string
}

const chartW, chartH, chartPad = 720.0, 240.0, 30.0

// barChart draws one bar per value, labelling every tenth.
func barChart(title string, bars []svgBar, axis string) svgChart {
	c := svgChart{Title: title, Width: chartW, Height: chartH}
	top := 0.0
	for _, b := range bars {
		top = math.Max(top, b.Value)
	}
	if top == 0 {
		top = 1
	}
	w := (chartW - 2*chartPad) / float64(len(bars))
	for i, b := range bars {
		h := (chartH - 2*chartPad) * b.Value / top
		x := chartPad + float64(i)*w
		c.Bars = append(c.Bars, svgRect{X: x, Y: chartH - chartPad - h, W: math.Max(w-1, 1), H: h, Label: fmt.Sprintf("%s %s: %g", b.Label, axis, b.Value), Breach: b.Breach})
		if i%10 == 0 {
			c.Axis = append(c.Axis, svgLabel{X: x, Y: chartH - chartPad/3, Text: b.Label})
		}
	}
	c.Axis = append(c.Axis, svgLabel{X: 2, Y: chartPad - 8, Text: fmt.Sprintf("%g", top)})
	return c
}

// lineChart draws the values, 0 to 100, as a line with a dot each and a
// dashed target line.
func lineChart(title string, pts []svgBar, target float64) svgChart {
	c := svgChart{Title: title, Width: chartW, Height: chartH}
	y := func(v float64) float64 { return chartH - chartPad - (chartH-2*chartPad)*v/100 }
	step := (chartW - 2*chartPad) / math.Max(float64(len(pts)-1), 1)
	for i, p := range pts {
		x := chartPad + float64(i)*step
		c.Points += fmt.Sprintf("%.1f,%.1f ", x, y(p.Value))
		c.Dots = append(c.Dots, svgRect{X: x, Y: y(p.Value), Label: fmt.Sprintf("%s: %.2f%%", p.Label, p.Value), Breach: p.Breach})
		if i%6 == 0 {
			c.Axis = append(c.Axis, svgLabel{X: x - 20, Y: chartH - chartPad/3, Text: p.Label})
		}
	}
	c.Target = &svgLine{X1: chartPad, Y1: y(target), X2: chartW - chartPad, Y2: y(target)}
	c.Axis = append(c.Axis, svgLabel{X: 2, Y: y(target) - 4, Text: fmt.Sprintf("%g%%", target)})
	return c
}

func init() {
	funcs["percent"] = func(share float64) float64 { return share * 100 }
	funcs["sub"] = func(a, b int) int { return a - b }
}
